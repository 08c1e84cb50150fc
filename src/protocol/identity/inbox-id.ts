/**
 * Inbox ids: libxmtp's derivation from an identifier and a nonce. Pure; runs everywhere.
 *
 * Guarantees: the same identifier and nonce give the same 64-character lowercase hex id as libxmtp
 * (`Identifier::inbox_id`), so one wallet has one inbox across our client and every libxmtp app.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ErrorCodes, XmtpError } from '../errors.js';

/**
 * The nonce libxmtp uses for a new inbox when the app gives none. Observed from `@xmtp/node-sdk`
 * 6.0.0 (libxmtp 1.10): its registration in `proto/fixtures/libxmtp-1.10.json`
 * (`requests.PublishIdentityUpdate`) carries nonce 1, and the Node bindings' `parse_nonce` defaults
 * to 1 (`bindings/node/src/client/create_client.rs`). Always look an identifier up (GetInboxIds)
 * before deriving: an inbox created with another nonce keeps its id.
 */
export const DEFAULT_INBOX_NONCE = 1n;

export type DeriveInboxIdReturnType = string;

/**
 * libxmtp's inbox id: the lowercase hex SHA-256 of `${identifier}${nonce}` (nonce in decimal, no
 * separator). `identifier` is the rendered identifier: a lowercase `0x` Ethereum address
 * (see `normalizeEthereumAddress`) or a passkey's lowercase key hex (see `toPasskeyIdentifier`).
 */
export function deriveInboxId(identifier: string, nonce: bigint): DeriveInboxIdReturnType {
  if (typeof nonce !== 'bigint' || nonce < 0n || nonce >= 1n << 64n) {
    throw new XmtpError(ErrorCodes.invalidRequest, `An inbox nonce must be a u64 bigint, got ${String(nonce)}`);
  }
  return bytesToHex(sha256(new TextEncoder().encode(`${identifier}${nonce.toString()}`)));
}
