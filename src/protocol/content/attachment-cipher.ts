/**
 * The remote-attachment cipher (libxmtp `encryption.rs`, same as xmtp-js): AES-256-GCM with a key
 * derived by HKDF-SHA256 (ikm = the 32-byte secret, salt = the 32-byte salt, empty info, 32 bytes),
 * a 12-byte nonce, no associated data; the payload is the ciphertext followed by the 16-byte tag.
 * Pure (@noble); runs everywhere.
 *
 * Guarantees: wrong sizes are refused before any work; a payload that fails authentication is a
 * `content.decryption_failed` error, never garbage plaintext.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import { ATTACHMENT_NONCE_LENGTH, ATTACHMENT_SALT_LENGTH } from './remote-attachment-codec.js';

export interface AttachmentKeyMaterial {
  readonly secret: Uint8Array;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
}

export function deriveAttachmentKey(secret: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdf(sha256, secret, salt, new Uint8Array(0), 32);
}

function checkSizes(keys: AttachmentKeyMaterial, code: typeof ContentErrorCodes.invalidContent | typeof ContentErrorCodes.decryptionFailed) {
  if (keys.salt.length !== ATTACHMENT_SALT_LENGTH) throw contentError(code, `invalid salt length: expected ${ATTACHMENT_SALT_LENGTH}, got ${keys.salt.length}`);
  if (keys.nonce.length !== ATTACHMENT_NONCE_LENGTH) throw contentError(code, `invalid nonce length: expected ${ATTACHMENT_NONCE_LENGTH}, got ${keys.nonce.length}`);
}

export function sealAttachmentPayload(plaintext: Uint8Array, keys: AttachmentKeyMaterial): Uint8Array {
  checkSizes(keys, ContentErrorCodes.invalidContent);
  return gcm(deriveAttachmentKey(keys.secret, keys.salt), keys.nonce).encrypt(plaintext);
}

/** Throws `content.decryption_failed` when the payload does not authenticate under these keys. */
export function openAttachmentPayload(payload: Uint8Array, keys: AttachmentKeyMaterial): Uint8Array {
  checkSizes(keys, ContentErrorCodes.decryptionFailed);
  try {
    return gcm(deriveAttachmentKey(keys.secret, keys.salt), keys.nonce).decrypt(payload);
  } catch (cause) {
    throw contentError(ContentErrorCodes.decryptionFailed, 'The remote attachment does not decrypt with its key material', cause);
  }
}
