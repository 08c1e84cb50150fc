/**
 * `xmtp.org/remoteStaticAttachment:1.0`: a file stored elsewhere, encrypted, with the key material
 * to fetch and open it. Pure; runs everywhere.
 *
 * Wire (libxmtp `remote_attachment.rs`): content = the URL as UTF-8; parameters `contentDigest`
 * (hex SHA-256 of the encrypted payload), `salt`, `nonce`, `secret` (hex), `scheme`, optional
 * `contentLength` (decimal) and `filename`; fallback
 * `Can't display <filename|this content>. This app doesn't support remote attachments.` Pushes.
 *
 * Reading requires every non-optional parameter (libxmtp would default each to "") and checks the
 * lengths decryption needs (32-byte salt, 12-byte nonce), so a message that can never be opened is
 * refused up front. Encrypt with `encryptAttachment`, open with `decryptAttachment`.
 */
import { assertContentType, type ContentCodec } from './content-codec.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import { hex, hexParameter, optionalParameter, requiredParameter, utf8Bytes, utf8Text } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';

export const ContentTypeRemoteAttachment = contentTypeId({
  authorityId: 'xmtp.org',
  typeId: 'remoteStaticAttachment',
  versionMajor: 1,
  versionMinor: 0,
});

/** Sizes libxmtp's `encryption.rs` uses. */
export const ATTACHMENT_SECRET_LENGTH = 32;
export const ATTACHMENT_SALT_LENGTH = 32;
export const ATTACHMENT_NONCE_LENGTH = 12;

export interface RemoteAttachment {
  readonly url: string;
  /** Lowercase hex SHA-256 of the encrypted payload. */
  readonly contentDigest: string;
  readonly secret: Uint8Array;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
  /** "https" from libxmtp. */
  readonly scheme: string;
  /** Length of the encrypted payload in bytes. */
  readonly contentLength?: number | undefined;
  readonly filename?: string | undefined;
}

/** Refuses key material that cannot decrypt (`content.invalid_content`), used before encoding. */
export function assertRemoteAttachmentKeys(attachment: Pick<RemoteAttachment, 'secret' | 'salt' | 'nonce'>): void {
  const check = (name: string, bytes: Uint8Array, length: number) => {
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
      throw contentError(ContentErrorCodes.invalidContent, `A remote attachment's ${name} must be ${length} bytes`);
    }
  };
  check('secret', attachment.secret, ATTACHMENT_SECRET_LENGTH);
  check('salt', attachment.salt, ATTACHMENT_SALT_LENGTH);
  check('nonce', attachment.nonce, ATTACHMENT_NONCE_LENGTH);
}

function parseContentLength(value: string): number {
  // Rust's u32::from_str: an optional '+', then decimal digits.
  const n = /^\+?\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n <= 0xffff_ffff)) throw contentError(ContentErrorCodes.invalidParameter, `The contentLength parameter is not a u32: ${JSON.stringify(value)}`);
  return n;
}

export const remoteAttachmentCodec: ContentCodec<RemoteAttachment> = {
  contentType: ContentTypeRemoteAttachment,
  encode(attachment) {
    assertRemoteAttachmentKeys(attachment);
    const parameters: Record<string, string> = {
      contentDigest: attachment.contentDigest,
      salt: hex(attachment.salt),
      nonce: hex(attachment.nonce),
      secret: hex(attachment.secret),
      scheme: attachment.scheme,
    };
    if (attachment.contentLength !== undefined) parameters.contentLength = String(attachment.contentLength);
    if (attachment.filename !== undefined) parameters.filename = attachment.filename;
    return createEncodedContent({
      type: ContentTypeRemoteAttachment,
      parameters,
      fallback: remoteAttachmentCodec.fallback(attachment),
      content: utf8Bytes(attachment.url),
    });
  },
  decode(encoded) {
    assertContentType(remoteAttachmentCodec, encoded);
    const what = 'A remote attachment';
    const contentDigest = requiredParameter(encoded, 'contentDigest', what);
    const salt = hexParameter(requiredParameter(encoded, 'salt', what), 'salt', ATTACHMENT_SALT_LENGTH);
    const nonce = hexParameter(requiredParameter(encoded, 'nonce', what), 'nonce', ATTACHMENT_NONCE_LENGTH);
    const secret = hexParameter(requiredParameter(encoded, 'secret', what), 'secret');
    if (secret.length === 0) throw contentError(ContentErrorCodes.invalidParameter, 'The secret parameter is empty');
    const scheme = requiredParameter(encoded, 'scheme', what);
    const length = optionalParameter(encoded, 'contentLength');
    const filename = optionalParameter(encoded, 'filename');
    return {
      url: utf8Text(encoded.content, 'A remote attachment URL'),
      contentDigest,
      secret,
      salt,
      nonce,
      scheme,
      ...(length === undefined ? {} : { contentLength: parseContentLength(length) }),
      ...(filename === undefined ? {} : { filename }),
    };
  },
  fallback: (attachment) => `Can't display ${attachment.filename ?? 'this content'}. This app doesn't support remote attachments.`,
  shouldPush: () => true,
};
