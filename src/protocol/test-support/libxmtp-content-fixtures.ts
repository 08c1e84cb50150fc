/**
 * Test-only access to the content libxmtp 1.10 sent and synthesised, captured in
 * proto/fixtures/libxmtp-1.10.json (`messages`, `transcriptMessages`, `extra`; see
 * scripts/capture-libxmtp-fixtures.mjs). Node only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** What node-sdk 6.0.0's `getMessageById()` returned (bigints and bytes as strings). */
export interface SdkMessageView {
  readonly contentType: string;
  readonly kind: string;
  readonly senderInboxId: string;
  readonly fallback: string | null;
  readonly content: unknown;
}

export interface LibxmtpSentMessage {
  readonly label: string;
  readonly conversation: string;
  readonly sender: string;
  readonly how: string;
  readonly sdk: SdkMessageView;
  readonly sdkAsSeenByAlice?: SdkMessageView;
  readonly messageId: string;
  /** The group id, hex. */
  readonly conversationId: string;
  readonly senderInboxId: string;
  readonly contentType: string;
  /** EncodedContent protobuf, hex, exactly as libxmtp built it. */
  readonly encodedContent: string;
  /** The PlaintextEnvelope libxmtp encrypted into the MLS application message, hex. */
  readonly plaintextEnvelope: string;
  readonly idempotencyKey: string;
  readonly wire: { readonly shouldPush: boolean; readonly mlsContentType: number };
  readonly db: { readonly shouldPush: boolean; readonly referenceId: string | null };
}

export interface LibxmtpTranscriptMessage {
  readonly conversation: string;
  readonly storedBy: string;
  readonly sdk: SdkMessageView;
  readonly messageId: string;
  readonly conversationId: string;
  readonly encodedContent: string;
  /** The commit envelope's timestamp in ns (decimal), used in place of an idempotency key in the id. */
  readonly sentAtNs: string;
}

export interface LibxmtpRemoteAttachment {
  readonly attachment: { readonly filename: string; readonly mimeType: string; readonly content: string };
  readonly encryptedPayload: string;
  readonly contentDigest: string;
  readonly secret: string;
  readonly salt: string;
  readonly nonce: string;
  readonly contentLength: number;
}

export interface LibxmtpContentFixture {
  readonly identities: Readonly<Record<string, { readonly address: string; readonly inboxId: string; readonly installationId: string }>>;
  readonly messages: readonly LibxmtpSentMessage[];
  readonly transcriptMessages: readonly LibxmtpTranscriptMessage[];
  readonly extra: {
    readonly remoteAttachment: LibxmtpRemoteAttachment;
    readonly deleteMessage: { readonly targetMessageId: string };
  };
}

let cached: LibxmtpContentFixture | undefined;

export function libxmtpContentFixture(): LibxmtpContentFixture {
  cached ??= JSON.parse(readFileSync(path.join(ROOT, 'proto/fixtures/libxmtp-1.10.json'), 'utf8')) as LibxmtpContentFixture;
  return cached;
}

/** One sent message by its fixture label. */
export function libxmtpSentMessage(label: string): LibxmtpSentMessage {
  const message = libxmtpContentFixture().messages.find((m) => m.label === label);
  if (!message) throw new Error(`no fixture message ${label}`);
  return message;
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
