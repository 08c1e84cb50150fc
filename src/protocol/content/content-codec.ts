/**
 * The codec model: one `ContentCodec<T>` per content type turns a value into an EncodedContent and
 * back. Pure; runs everywhere.
 *
 * Guarantees: a codec's `decode` refuses content of another type (`content.type_mismatch`) and
 * throws only XmtpErrors with `content.*` codes; `encode` builds exactly what libxmtp 1.10 builds for
 * the same value (parameter maps aside, which libxmtp writes in hash order); `shouldPush` is the
 * push flag libxmtp 1.10 sends with the message (`GroupMessageInput.V1.should_push`).
 */
import type { EncodedContent } from '../../gen/mls/message_contents/content_pb.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import { type ContentTypeId, formatContentTypeId, isSameContentType } from './content-type-id.js';

export interface ContentCodec<T> {
  /** The type this codec writes; it reads any minor version of it. */
  readonly contentType: ContentTypeId;
  encode(content: T): EncodedContent;
  decode(encoded: EncodedContent): T;
  /** The text shown by apps that do not know this content type (stored in `EncodedContent.fallback`). */
  fallback(content: T): string | undefined;
  /** Whether the message asks the network to send a push notification. */
  shouldPush(content: T): boolean;
}

/** The value type a codec encodes and decodes. */
export type ContentOf<C> = C extends ContentCodec<infer T> ? T : never;

/** Throws `content.invalid_content_type` / `content.type_mismatch` unless `encoded` is of the codec's type. */
export function assertContentType(codec: { readonly contentType: ContentTypeId }, encoded: EncodedContent): void {
  if (!encoded.type) {
    throw contentError(ContentErrorCodes.invalidContentType, 'The EncodedContent has no content type');
  }
  if (!isSameContentType(encoded.type, codec.contentType)) {
    throw contentError(
      ContentErrorCodes.typeMismatch,
      `Expected ${formatContentTypeId(codec.contentType)} content, got ${formatContentTypeId(encoded.type)}`,
    );
  }
}
