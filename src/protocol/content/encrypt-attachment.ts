/**
 * Encrypts an attachment for upload as a remote attachment (libxmtp `encrypt_attachment`). Pure
 * (@noble, WebCrypto randomness); runs everywhere.
 *
 * The attachment is encoded as an `xmtp.org/attachment:1.0` EncodedContent, serialised, and sealed
 * with a fresh random 32-byte secret, 32-byte salt and 12-byte nonce. The caller uploads `payload`
 * and sends `toRemoteAttachment(encrypted, url)` with the remote attachment codec.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { type Attachment, attachmentCodec } from './attachment-codec.js';
import { sealAttachmentPayload } from './attachment-cipher.js';
import { hex } from './content-fields.js';
import { encodedContentToBytes } from './encoded-content.js';
import {
  ATTACHMENT_NONCE_LENGTH,
  ATTACHMENT_SALT_LENGTH,
  ATTACHMENT_SECRET_LENGTH,
  type RemoteAttachment,
} from './remote-attachment-codec.js';

export interface EncryptedAttachment {
  /** The bytes to upload. */
  readonly payload: Uint8Array;
  /** Lowercase hex SHA-256 of `payload`. */
  readonly contentDigest: string;
  readonly secret: Uint8Array;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
  /** `payload.length`. */
  readonly contentLength: number;
  readonly filename?: string | undefined;
}

export interface EncryptAttachmentOptions {
  /** Source of randomness (tests); WebCrypto's getRandomValues by default. */
  readonly randomBytes?: (length: number) => Uint8Array;
}

export function encryptAttachment(attachment: Attachment, options: EncryptAttachmentOptions = {}): EncryptedAttachment {
  const random = options.randomBytes ?? randomBytes;
  const secret = random(ATTACHMENT_SECRET_LENGTH);
  const salt = random(ATTACHMENT_SALT_LENGTH);
  const nonce = random(ATTACHMENT_NONCE_LENGTH);
  const payload = sealAttachmentPayload(encodedContentToBytes(attachmentCodec.encode(attachment)), { secret, salt, nonce });
  return {
    payload,
    contentDigest: hex(sha256(payload)),
    secret,
    salt,
    nonce,
    contentLength: payload.length,
    ...(attachment.filename === undefined ? {} : { filename: attachment.filename }),
  };
}

/** The remote attachment to send once `encrypted.payload` is stored at `url`. */
export function toRemoteAttachment(encrypted: EncryptedAttachment, url: string, scheme = 'https'): RemoteAttachment {
  return {
    url,
    contentDigest: encrypted.contentDigest,
    secret: encrypted.secret,
    salt: encrypted.salt,
    nonce: encrypted.nonce,
    scheme,
    contentLength: encrypted.contentLength,
    ...(encrypted.filename === undefined ? {} : { filename: encrypted.filename }),
  };
}
