/**
 * `GroupMessageInput.V1.sender_hmac` (xmtp-wire.md §7.2; libxmtp `mls_sync.rs hmac_keys`,
 * `utils hmac_epoch`): HMAC-SHA256 over the payload with a key derived per group and 30-day epoch
 * from the inbox's 42-byte HMAC root key. Push servers use it to suppress self-notifications;
 * receivers do not check it. Pure; runs everywhere.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../mls/tls.js';

const HMAC_SALT = new TextEncoder().encode('libXMTP HKDF salt!');
const HMAC_EPOCH_SECONDS = 2_592_000n;

export function senderHmacKey(hmacRootKey: Uint8Array, groupId: Uint8Array, nowNs: bigint): Uint8Array {
  const epoch = nowNs / 1_000_000_000n / HMAC_EPOCH_SECONDS;
  const epochLe = new Uint8Array(8);
  new DataView(epochLe.buffer).setBigInt64(0, epoch, true);
  return hkdf(sha256, concatBytes(hmacRootKey, groupId), HMAC_SALT, concatBytes(groupId, epochLe), 42);
}

export function senderHmac(params: { hmacRootKey: Uint8Array; groupId: Uint8Array; data: Uint8Array; nowNs: bigint }): Uint8Array {
  return hmac(sha256, senderHmacKey(params.hmacRootKey, params.groupId, params.nowNs), params.data);
}
