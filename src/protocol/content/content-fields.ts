/**
 * Field readers shared by the codecs: UTF-8, parameters, hex, protobuf. Pure; runs everywhere.
 *
 * Guarantees: every failure is an XmtpError with a `content.*` code naming the field.
 */
import { type DescMessage, fromBinary, type MessageShape } from '@bufbuild/protobuf';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { EncodedContent } from '../../gen/mls/message_contents/content_pb.js';
import { ContentErrorCodes, contentError } from './content-errors.js';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Strict UTF-8 (like Rust's `from_utf8`): a BOM is kept, invalid sequences throw `content.malformed`. */
export function utf8Text(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw contentError(ContentErrorCodes.malformed, `${what} is not valid UTF-8`, cause);
  }
}

export function optionalParameter(encoded: EncodedContent, key: string): string | undefined {
  return Object.hasOwn(encoded.parameters, key) ? encoded.parameters[key] : undefined;
}

/** Throws `content.missing_parameter` when absent. */
export function requiredParameter(encoded: EncodedContent, key: string, what: string): string {
  const value = optionalParameter(encoded, key);
  if (value === undefined) throw contentError(ContentErrorCodes.missingParameter, `${what} has no ${key} parameter`);
  return value;
}

/** Decodes hex (either case, like Rust's `hex::decode`); `length` in bytes when fixed. Throws `content.invalid_parameter`. */
export function hexParameter(value: string, key: string, length?: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = hexToBytes(value);
  } catch (cause) {
    throw contentError(ContentErrorCodes.invalidParameter, `The ${key} parameter is not hex`, cause);
  }
  if (length !== undefined && bytes.length !== length) {
    throw contentError(ContentErrorCodes.invalidParameter, `The ${key} parameter must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

export function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Parses a protobuf message. Throws `content.malformed`. */
export function protobufContent<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array, what: string): MessageShape<Desc> {
  try {
    return fromBinary(schema, bytes);
  } catch (cause) {
    throw contentError(ContentErrorCodes.malformed, `${what} is not a valid protobuf message`, cause);
  }
}
