/**
 * Message ids (libxmtp `utils/mod.rs calculate_message_id`): the lowercase hex
 * SHA-256(group_id ‖ "\t" ‖ idempotency key ‖ "\t" ‖ EncodedContent bytes). Pure; runs everywhere.
 *
 * Every member computes the same id for the same message, so ids are what replies, reactions and
 * deletions reference. Locally synthesised GroupUpdated messages use a timestamp in place of the key:
 * from a commit, its envelope timestamp in ns as decimal (`save_transcript_message`); from the welcome
 * that added us, the welcome's `created_ns` rendered by chrono's `Display` plus `_welcome_added`
 * (`xmtp_welcome.rs`, e.g. `2026-11-26 07:23:47.040 UTC_welcome_added`). Hash the EncodedContent bytes
 * exactly as received: re-encoding may reorder parameter maps and change the id.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { ErrorCodes, XmtpError } from '../errors.js';

const TAB = new Uint8Array([0x09]);

export function messageId(groupId: Uint8Array, idempotencyKey: string, encodedContent: Uint8Array): string {
  if (!(groupId instanceof Uint8Array) || groupId.length === 0) {
    throw new XmtpError(ErrorCodes.invalidRequest, 'A message id needs a non-empty group id');
  }
  if (!(encodedContent instanceof Uint8Array)) throw new XmtpError(ErrorCodes.invalidRequest, 'A message id needs the EncodedContent bytes');
  return bytesToHex(sha256(concatBytes(groupId, TAB, new TextEncoder().encode(idempotencyKey), TAB, encodedContent)));
}

/** The id of a GroupUpdated transcript message synthesised from a commit received at `timestampNs`. */
export function groupUpdatedMessageId(groupId: Uint8Array, timestampNs: bigint, encodedContent: Uint8Array): string {
  return messageId(groupId, timestampNs.toString(), encodedContent);
}

/** chrono's `Display` of a `DateTime<Utc>`: `YYYY-MM-DD HH:MM:SS[.fff|.ffffff|.fffffffff] UTC`. */
export function formatChronoUtc(timestampNs: bigint): string {
  let seconds = timestampNs / 1_000_000_000n;
  let nanos = timestampNs % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  const date = new Date(Number(seconds) * 1000);
  const year = date.getUTCFullYear();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const yearText = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 4)}`;
  const n = Number(nanos);
  const fraction = n === 0 ? '' : n % 1_000_000 === 0 ? `.${pad(n / 1_000_000, 3)}` : n % 1_000 === 0 ? `.${pad(n / 1_000, 6)}` : `.${pad(n, 9)}`;
  return `${yearText}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${fraction} UTC`;
}

/** The id of the GroupUpdated ("you were added") a joiner synthesises from a welcome created at `welcomeCreatedNs`. */
export function welcomeAddedMessageId(groupId: Uint8Array, welcomeCreatedNs: bigint, encodedContent: Uint8Array): string {
  return messageId(groupId, `${formatChronoUtc(welcomeCreatedNs)}_welcome_added`, encodedContent);
}
