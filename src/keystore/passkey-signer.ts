/**
 * Passkeys as XMTP identity signers, through WebAuthn (@simplewebauthn/browser).
 *
 * Runs in a DOCUMENT (a page or an extension page such as onboarding/popup), not in the background
 * service worker: `navigator.credentials` does not exist in workers.
 *
 * - `createPasskey` registers an ES256 (P-256) discoverable credential and returns its id and the
 *   SEC1 public key that XMTP identifies the passkey by (identifier = lowercase hex of it).
 * - `signWithPasskey` makes a WebAuthn assertion whose challenge is the signature text's UTF-8
 *   bytes (so clientDataJSON.challenge = base64url(text)) and returns the
 *   `RecoverablePasskeySignature` for an identity update, checked with the same verifier the node
 *   uses before it is returned.
 *
 * The relying party libxmtp records is the client data `origin` (scheme, host and port; for the
 * extension `chrome-extension://<id>`), not the rpId.
 */
import { create } from '@bufbuild/protobuf';
import {
  base64URLStringToBuffer,
  startAuthentication,
  startRegistration,
  WebAuthnError,
} from '@simplewebauthn/browser';
import {
  type RecoverablePasskeySignature,
  RecoverablePasskeySignatureSchema,
} from '../gen/identity/associations/signature_pb.js';
import { XmtpError } from '../protocol/errors.js';
import { base64UrlEncode, passkeyChallenge, verifyPasskeySignature } from '../protocol/identity/passkey.js';
import { registrationPublicKey } from './passkey-attestation.js';

export const PasskeySignerErrorCodes = {
  /** The user cancelled, the ceremony timed out, or no matching credential was available. */
  notAllowed: 'passkey.not_allowed',
  /** WebAuthn is unavailable here, or the authenticator failed. */
  failed: 'passkey.failed',
  /** The assertion is not one the network would accept for this key and text. */
  unverifiable: 'passkey.unverifiable',
} as const;

const ES256 = -7;
const TIMEOUT_MS = 120_000;

export interface CreatePasskeyOptions {
  /** WebAuthn relying party id: a registrable domain of the page's origin ("localhost", "example.com"). */
  readonly rpId: string;
  readonly rpName: string;
  readonly userName: string;
  readonly userDisplayName?: string;
  /** WebAuthn user handle (1–64 bytes); random when absent. */
  readonly userId?: Uint8Array;
}

export interface CreatedPasskey {
  /** base64url credential id, as WebAuthn `allowCredentials` takes it. */
  readonly credentialId: string;
  /** 65-byte uncompressed SEC1 P-256 public key. */
  readonly publicKey: Uint8Array;
  readonly rpId: string;
}

export interface SignWithPasskeyOptions {
  readonly credentialId: string;
  /** The SEC1 key from `createPasskey` (an assertion does not carry the public key). */
  readonly publicKey: Uint8Array;
  /** The identity update's signature text. */
  readonly text: string;
  readonly rpId: string;
}

function bytes(base64url: string): Uint8Array {
  return new Uint8Array(base64URLStringToBuffer(base64url));
}

function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

function wrap(error: unknown, what: string): XmtpError {
  if (error instanceof XmtpError) return error;
  const name = error instanceof WebAuthnError ? (error.cause as Error | undefined)?.name ?? error.name : (error as Error | undefined)?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'NotAllowedError' || (error instanceof WebAuthnError && error.code === 'ERROR_CEREMONY_ABORTED')) {
    return new XmtpError(PasskeySignerErrorCodes.notAllowed, `${what}: cancelled, timed out or not allowed (${message})`, {
      retryable: true,
      cause: error,
    });
  }
  return new XmtpError(PasskeySignerErrorCodes.failed, `${what} failed: ${message}`, { cause: error });
}

/** Registers a new passkey (ES256, discoverable) and returns its id and SEC1 public key. */
export async function createPasskey(options: CreatePasskeyOptions): Promise<CreatedPasskey> {
  let response;
  try {
    response = await startRegistration({
      optionsJSON: {
        rp: { id: options.rpId, name: options.rpName },
        user: {
          id: base64UrlEncode(options.userId ?? randomBytes(16)),
          name: options.userName,
          displayName: options.userDisplayName ?? options.userName,
        },
        // The registration challenge protects nothing here (no server checks the attestation).
        challenge: base64UrlEncode(randomBytes(32)),
        pubKeyCredParams: [{ type: 'public-key', alg: ES256 }],
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
        attestation: 'none',
        timeout: TIMEOUT_MS,
      },
    });
  } catch (error) {
    throw wrap(error, 'Passkey registration');
  }
  const { publicKeyAlgorithm, publicKey: spki, authenticatorData, attestationObject } = response.response;
  if (publicKeyAlgorithm !== undefined && publicKeyAlgorithm !== ES256) {
    throw new XmtpError(PasskeySignerErrorCodes.failed, `Passkey registration returned algorithm ${publicKeyAlgorithm}, not ES256`);
  }
  const publicKey = registrationPublicKey({
    attestationObject: bytes(attestationObject),
    ...(authenticatorData ? { authenticatorData: bytes(authenticatorData) } : {}),
    ...(spki ? { spki: bytes(spki) } : {}),
    credentialId: bytes(response.rawId),
  });
  return { credentialId: response.id, publicKey, rpId: options.rpId };
}

/** Signs an identity update's signature text with a passkey. */
export async function signWithPasskey(options: SignWithPasskeyOptions): Promise<RecoverablePasskeySignature> {
  let response;
  try {
    response = await startAuthentication({
      optionsJSON: {
        challenge: passkeyChallenge(options.text),
        rpId: options.rpId,
        allowCredentials: [{ id: options.credentialId, type: 'public-key' }],
        userVerification: 'preferred',
        timeout: TIMEOUT_MS,
      },
    });
  } catch (error) {
    throw wrap(error, 'Passkey signature');
  }
  if (response.id !== options.credentialId) {
    throw new XmtpError(PasskeySignerErrorCodes.unverifiable, 'The authenticator answered with another credential');
  }
  const signature = create(RecoverablePasskeySignatureSchema, {
    publicKey: Uint8Array.from(options.publicKey),
    signature: bytes(response.response.signature),
    authenticatorData: bytes(response.response.authenticatorData),
    clientDataJson: bytes(response.response.clientDataJSON),
  });
  try {
    await verifyPasskeySignature(signature, options.text);
  } catch (cause) {
    throw new XmtpError(
      PasskeySignerErrorCodes.unverifiable,
      `The passkey's signature would not verify (${(cause as Error).message}); is the public key the credential's?`,
      { cause },
    );
  }
  return signature;
}
