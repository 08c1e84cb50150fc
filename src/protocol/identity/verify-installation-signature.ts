/**
 * Verifies an installation key's signature over an identity update's signature text, as libxmtp's
 * `VerifiedSignature::from_installation_key`. Pure; runs everywhere.
 *
 * Guarantees: the algorithm is Ed25519ph (RFC 8032 prehash: SHA-512 of the UTF-8 text) with the
 * context `IDENTITY UPDATE SIGNATURE`; plain Ed25519 over the text, or another context, does not
 * verify. Byte lengths are checked (32-byte key, 64-byte signature); encodings are decoded strictly
 * (RFC 8032, not ZIP-215). The signer is the installation whose key is given.
 */
import { ed25519ph } from '@noble/curves/ed25519.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';
import type { VerifiedSignature } from './signature-types.js';

/** libxmtp `INSTALLATION_KEY_SIGNATURE_CONTEXT` ("DO NOT CHANGE. SIGNATURES WILL BREAK"). */
export const INSTALLATION_KEY_SIGNATURE_CONTEXT: Uint8Array = new TextEncoder().encode('IDENTITY UPDATE SIGNATURE');

export interface VerifyInstallationSignatureParameters {
  /** 64-byte Ed25519ph signature (`RecoverableEd25519Signature.bytes`). */
  readonly signature: Uint8Array;
  /** The installation's 32-byte Ed25519 public key (`RecoverableEd25519Signature.public_key`). */
  readonly publicKey: Uint8Array;
  /** The update's signature text (`createSignatureText`). */
  readonly text: string;
}

export type VerifyInstallationSignatureReturnType = VerifiedSignature;

/** Checks the signature; throws `identity.invalid_signature` unless the installation signed `text`. */
export function verifyInstallationSignature({
  signature,
  publicKey,
  text,
}: VerifyInstallationSignatureParameters): VerifyInstallationSignatureReturnType {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw identityError(IdentityErrorCodes.invalidSignature, `Invalid installation signature: the public key must be 32 bytes, got ${publicKey?.length}`);
  }
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    throw identityError(IdentityErrorCodes.invalidSignature, `Invalid installation signature: expected 64 bytes, got ${signature?.length}`);
  }
  let valid: boolean;
  try {
    valid = ed25519ph.verify(signature, new TextEncoder().encode(text), publicKey, {
      context: INSTALLATION_KEY_SIGNATURE_CONTEXT,
      zip215: false,
    });
  } catch {
    valid = false;
  }
  if (!valid) {
    throw identityError(IdentityErrorCodes.invalidSignature, 'Invalid installation signature: Ed25519ph with the identity update context does not verify');
  }
  return { kind: 'installation-key', signer: { kind: 'installation', key: publicKey.slice() }, replayKey: signature.slice() };
}
