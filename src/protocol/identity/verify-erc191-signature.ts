/**
 * Verifies an Ethereum EOA signature (EIP-191 `personal_sign`) over an identity update's signature
 * text, as libxmtp's `VerifiedSignature::from_recoverable_ecdsa`. Pure; runs everywhere.
 *
 * Guarantees: the signature is low-s normalised first (`normalizeEcdsaSignature`, v untouched), then
 * the signer is recovered from the EIP-191 digest; v may be 0/1, 27/28 or an EIP-155 value (alloy's
 * `normalize_v`). The result names the lowercase address that signed and carries the normalised bytes
 * as its replay key. It does not say whether that address is the one expected: the reducer checks that.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { hashMessage } from 'viem';
import { IdentityErrorCodes, identityError } from './identity-errors.js';
import { normalizeEcdsaSignature } from './normalize-ecdsa-signature.js';
import type { VerifiedSignature } from './signature-types.js';

export interface VerifyErc191SignatureParameters {
  /** 65 bytes r||s||v (`RecoverableEcdsaSignature.bytes`). */
  readonly signature: Uint8Array;
  /** The update's signature text (`createSignatureText`). */
  readonly text: string;
}

export type VerifyErc191SignatureReturnType = VerifiedSignature;

/** alloy `normalize_v`: 0|1 raw, 27|28 legacy, 35.. EIP-155; anything else is invalid. */
function parity(v: number): 0 | 1 {
  if (v === 0 || v === 1) return v;
  if (v === 27 || v === 28) return v === 28 ? 1 : 0;
  if (v >= 35) return ((v - 35) % 2) as 0 | 1;
  throw identityError(IdentityErrorCodes.invalidSignature, `Invalid ERC-191 signature: recovery byte v=${v}`);
}

/** Recovers who signed `text` with `personal_sign`; throws `identity.invalid_signature` if nobody can have. */
export function verifyErc191Signature({ signature, text }: VerifyErc191SignatureParameters): VerifyErc191SignatureReturnType {
  const normalized = normalizeEcdsaSignature(signature);
  if (normalized.length !== 65) {
    throw identityError(IdentityErrorCodes.invalidSignature, 'Invalid ERC-191 signature: 65 bytes r||s||v are needed to recover the signer');
  }
  const recovery = parity(normalized[64]!);
  const digest = hashMessage(text, 'bytes');
  let publicKey: Uint8Array;
  try {
    publicKey = secp256k1.Signature.fromBytes(normalized.subarray(0, 64), 'compact')
      .addRecoveryBit(recovery)
      .recoverPublicKey(digest)
      .toBytes(false);
  } catch (error) {
    throw identityError(IdentityErrorCodes.invalidSignature, 'Invalid ERC-191 signature: no public key can be recovered', error);
  }
  const address = `0x${bytesToHex(keccak_256(publicKey.subarray(1)).subarray(12))}`;
  return { kind: 'erc191', signer: { kind: 'ethereum', address }, replayKey: normalized };
}
