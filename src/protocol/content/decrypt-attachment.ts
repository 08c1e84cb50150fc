/**
 * Opens a downloaded remote-attachment payload (libxmtp `decrypt_attachment`). Pure (@noble); runs
 * everywhere.
 *
 * Guarantees, in this order: the payload hashes to the message's `contentDigest`
 * (`content.digest_mismatch` otherwise), it authenticates under the message's key material
 * (`content.decryption_failed`), and what it holds is an `xmtp.org/attachment` EncodedContent
 * (`content.malformed` / `content.type_mismatch`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type Attachment, attachmentCodec } from './attachment-codec.js';
import { openAttachmentPayload } from './attachment-cipher.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import { hex } from './content-fields.js';
import { encodedContentFromBytes } from './encoded-content.js';
import type { RemoteAttachment } from './remote-attachment-codec.js';

export function decryptAttachment(payload: Uint8Array, remote: RemoteAttachment): Attachment {
  const digest = hex(sha256(payload));
  if (digest !== remote.contentDigest.toLowerCase()) {
    throw contentError(ContentErrorCodes.digestMismatch, `content digest mismatch: expected ${remote.contentDigest}, got ${digest}`);
  }
  const plaintext = openAttachmentPayload(payload, remote);
  return attachmentCodec.decode(encodedContentFromBytes(plaintext));
}
