/**
 * The stable error codes of the content layer (content types, codecs, plaintext envelopes, remote
 * attachments). Pure; runs everywhere. None is retryable: the same bytes fail the same way again.
 */
import { XmtpError } from '../errors.js';

export const ContentErrorCodes = {
  /** The EncodedContent names no content type, or a content type string is not `authority/type:major.minor`. */
  invalidContentType: 'content.invalid_content_type',
  /** A codec was handed content of another type (authority, type or major version differ). */
  typeMismatch: 'content.type_mismatch',
  /** No codec is registered for the content type (only from `encodeContent`-style lookups; decoding falls back). */
  unknownContentType: 'content.unknown_content_type',
  /** The content bytes do not parse: bad protobuf, bad JSON, a JSON field of the wrong type, invalid UTF-8. */
  malformed: 'content.malformed',
  /** A parameter the content type requires is absent. */
  missingParameter: 'content.missing_parameter',
  /** A parameter is present but unusable (bad hex, wrong length, not a number). */
  invalidParameter: 'content.invalid_parameter',
  /** A text encoding other than UTF-8. */
  unsupportedEncoding: 'content.unsupported_encoding',
  /** A compression this runtime cannot undo (no DecompressionStream) or an unknown Compression value. */
  unsupportedCompression: 'content.unsupported_compression',
  /** The compressed content does not inflate. */
  decompressionFailed: 'content.decompression_failed',
  /** Decompressed content larger than the caller's limit. */
  tooLarge: 'content.too_large',
  /** Content refused before encoding (e.g. an empty action list, a 33-byte secret). */
  invalidContent: 'content.invalid_content',
  /** A remote attachment's payload does not hash to its contentDigest. */
  digestMismatch: 'content.digest_mismatch',
  /** A remote attachment's payload does not decrypt (wrong key material or tampered ciphertext). */
  decryptionFailed: 'content.decryption_failed',
  /** A PlaintextEnvelope that does not parse or carries nothing. */
  invalidEnvelope: 'content.invalid_envelope',
} as const;

export type ContentErrorCode = (typeof ContentErrorCodes)[keyof typeof ContentErrorCodes];

/** A non-retryable content error. */
export function contentError(code: ContentErrorCode, message: string, cause?: unknown): XmtpError {
  return new XmtpError(code, message, cause === undefined ? {} : { cause });
}
