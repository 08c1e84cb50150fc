/**
 * Decodes any EncodedContent with a registry: decompresses it, finds the codec for its type and
 * decodes it; content of a type nobody registered comes back as `unknown` with its fallback text,
 * as libxmtp shows it (`MessageBody::Custom`). Pure; runs everywhere.
 *
 * Guarantees: bytes that are not an EncodedContent throw `content.malformed`. Content a codec
 * refuses (bad JSON, a missing parameter, bad compression…) throws that codec's `content.*` error,
 * or, with `onInvalid: 'unknown'`, comes back as `unknown` carrying the error and the fallback, which
 * is libxmtp's behaviour for a message it cannot decode.
 */
import type { EncodedContent } from '../../gen/mls/message_contents/content_pb.js';
import { XmtpError } from '../errors.js';
import type { ContentCodec } from './content-codec.js';
import type { ContentRegistry } from './content-registry.js';
import { type ContentTypeId, isSameContentType } from './content-type-id.js';
import { decompressContent } from './decompress-content.js';
import { encodedContentFromBytes } from './encoded-content.js';

export interface DecodeContentOptions {
  /** Cap on decompressed content, in bytes (default `DEFAULT_MAX_CONTENT_SIZE`). */
  readonly maxContentSize?: number;
  /** What to do when a registered codec refuses the content: throw (default) or return `unknown`. */
  readonly onInvalid?: 'throw' | 'unknown';
}

export interface KnownContent<T = unknown> {
  readonly kind: 'content';
  readonly contentType: ContentTypeId;
  readonly codec: ContentCodec<T>;
  readonly content: T;
  readonly fallback?: string | undefined;
  /** The EncodedContent as decoded (decompressed). */
  readonly encoded: EncodedContent;
}

export interface UnknownContent {
  readonly kind: 'unknown';
  /** Absent when the EncodedContent names no type. */
  readonly contentType?: ContentTypeId | undefined;
  /** What to show instead. */
  readonly fallback?: string | undefined;
  readonly encoded: EncodedContent;
  /** Why a registered codec refused it (only with `onInvalid: 'unknown'`). */
  readonly error?: XmtpError | undefined;
}

export type DecodedContent = KnownContent | UnknownContent;

export type DecodeContentReturnType = DecodedContent;

function unknownContent(encoded: EncodedContent, error?: XmtpError): UnknownContent {
  return {
    kind: 'unknown',
    ...(encoded.type ? { contentType: encoded.type } : {}),
    ...(encoded.fallback === undefined ? {} : { fallback: encoded.fallback }),
    encoded,
    ...(error ? { error } : {}),
  };
}

export async function decodeContent(
  registry: ContentRegistry,
  input: EncodedContent | Uint8Array,
  options: DecodeContentOptions = {},
): Promise<DecodeContentReturnType> {
  const original = input instanceof Uint8Array ? encodedContentFromBytes(input) : input;
  if (!original.type) return unknownContent(original);
  const codec = registry.codecFor(original.type);
  if (!codec) return unknownContent(original);
  try {
    const encoded = await decompressContent(original, options.maxContentSize === undefined ? {} : { maxSize: options.maxContentSize });
    const content = codec.decode(encoded);
    return {
      kind: 'content',
      contentType: original.type,
      codec,
      content,
      ...(encoded.fallback === undefined ? {} : { fallback: encoded.fallback }),
      encoded,
    };
  } catch (error) {
    if (options.onInvalid !== 'unknown') throw error;
    return unknownContent(original, XmtpError.from(error));
  }
}

/** Narrows a decoded result to the value of `codec`'s content type. */
export function isContentOf<T>(decoded: DecodedContent, codec: ContentCodec<T>): decoded is KnownContent<T> {
  return decoded.kind === 'content' && isSameContentType(decoded.contentType, codec.contentType);
}
