/**
 * Signs an identity update's signature text with an installation key, as libxmtp's
 * `XmtpInstallationCredential::credential_sign::<InstallationKeyContext>`. Pure; runs everywhere.
 *
 * Guarantees: Ed25519ph (SHA-512 prehash of the UTF-8 text) with the context
 * `IDENTITY UPDATE SIGNATURE`, deterministic, 64 bytes; `verifyInstallationSignature` accepts it.
 */
import { ed25519ph } from '@noble/curves/ed25519.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';
import { INSTALLATION_KEY_SIGNATURE_CONTEXT } from './verify-installation-signature.js';

export interface SignWithInstallationKeyParameters {
  /** The installation's 32-byte Ed25519 secret key (seed). */
  readonly secretKey: Uint8Array;
  /** The update's signature text (`createSignatureText`). */
  readonly text: string;
}

export type SignWithInstallationKeyReturnType = Uint8Array;

export function signWithInstallationKey({ secretKey, text }: SignWithInstallationKeyParameters): SignWithInstallationKeyReturnType {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) {
    throw identityError(IdentityErrorCodes.invalidIdentifier, `Invalid installation secret key: expected 32 bytes, got ${secretKey?.length}`);
  }
  return ed25519ph.sign(new TextEncoder().encode(text), secretKey, { context: INSTALLATION_KEY_SIGNATURE_CONTEXT });
}
