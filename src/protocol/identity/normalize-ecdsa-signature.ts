/**
 * Low-s normalisation of secp256k1 signatures, exactly as libxmtp's `to_lower_s`. Pure; runs everywhere.
 *
 * Guarantees: accepts 64 bytes (r||s) or 65 bytes (r||s||v); r and s must be in [1, n-1]. When s is
 * high it becomes n - s; the recovery byte v is kept as it is (libxmtp does not flip it). The result is
 * what goes into `seen_signatures`, so a signature and its high-s twin share one replay key.
 */
import { IdentityErrorCodes, identityError } from './identity-errors.js';

/** The order of the secp256k1 group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP256K1_N >> 1n;

export type NormalizeEcdsaSignatureReturnType = Uint8Array;

function readScalar(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return value;
}

function writeScalar(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

/** `signature` with s in the lower half of the group order (a new array; the input is not modified). */
export function normalizeEcdsaSignature(signature: Uint8Array): NormalizeEcdsaSignatureReturnType {
  if (!(signature instanceof Uint8Array) || (signature.length !== 64 && signature.length !== 65)) {
    throw identityError(
      IdentityErrorCodes.invalidSignature,
      `Invalid ECDSA signature: expected 64 or 65 bytes, got ${signature instanceof Uint8Array ? signature.length : typeof signature}`,
    );
  }
  const r = readScalar(signature.subarray(0, 32));
  const s = readScalar(signature.subarray(32, 64));
  if (r === 0n || r >= SECP256K1_N || s === 0n || s >= SECP256K1_N) {
    throw identityError(IdentityErrorCodes.invalidSignature, 'Invalid ECDSA signature: r and s must be in [1, n-1]');
  }
  const out = signature.slice();
  if (s > HALF_N) out.set(writeScalar(SECP256K1_N - s), 32);
  return out;
}
