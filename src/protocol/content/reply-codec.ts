/**
 * `xmtp.org/reply:1.0`: a reply to an earlier message, wrapping any other content. Pure; runs
 * everywhere.
 *
 * Wire (libxmtp `reply.rs`): parameters `reference` (hex message id), `contentType` (the inner
 * type as `authority/type:major.minor`, written when the inner content has a type) and optional
 * `referenceInboxId`; content = the inner EncodedContent protobuf; fallback
 * `Replied with "<text>" to an earlier message` when the inner content is text, else
 * `Replied to an earlier message`. Pushes.
 *
 * Reading: `reference` is required here (libxmtp would default it to ""); the inner content is
 * returned undecoded (decode it with the registry). An inner EncodedContent without a type takes the
 * `contentType` parameter's, which is otherwise only checked for syntax.
 */
import type { EncodedContent } from '../../gen/mls/message_contents/content_pb.js';
import { assertContentType, type ContentCodec } from './content-codec.js';
import { optionalParameter, requiredParameter } from './content-fields.js';
import { contentTypeId, formatContentTypeId, parseContentTypeId } from './content-type-id.js';
import { createEncodedContent, encodedContentFromBytes, encodedContentToBytes } from './encoded-content.js';
import { decodeUtf8Content } from './text-codec.js';

export const ContentTypeReply = contentTypeId({ authorityId: 'xmtp.org', typeId: 'reply', versionMajor: 1, versionMinor: 0 });

export interface Reply {
  /** The hex message id replied to. */
  readonly reference: string;
  /** The inbox id of that message's sender, when known. */
  readonly referenceInboxId?: string | undefined;
  /** The reply itself, any content type (usually text). */
  readonly content: EncodedContent;
}

export const replyCodec: ContentCodec<Reply> = {
  contentType: ContentTypeReply,
  encode(reply) {
    const parameters: Record<string, string> = { reference: reply.reference };
    if (reply.content.type) parameters.contentType = formatContentTypeId(reply.content.type);
    if (reply.referenceInboxId !== undefined) parameters.referenceInboxId = reply.referenceInboxId;
    return createEncodedContent({
      type: ContentTypeReply,
      parameters,
      fallback: replyCodec.fallback(reply),
      content: encodedContentToBytes(reply.content),
    });
  },
  decode(encoded) {
    assertContentType(replyCodec, encoded);
    const reference = requiredParameter(encoded, 'reference', 'A reply');
    const referenceInboxId = optionalParameter(encoded, 'referenceInboxId');
    const declared = optionalParameter(encoded, 'contentType');
    const declaredType = declared === undefined ? undefined : parseContentTypeId(declared);
    const content = encodedContentFromBytes(encoded.content);
    if (!content.type && declaredType) content.type = declaredType;
    return { reference, ...(referenceInboxId === undefined ? {} : { referenceInboxId }), content };
  },
  fallback(reply) {
    // libxmtp checks only the type id (any authority or version), then reads it as text.
    if (reply.content.type?.typeId === 'text') {
      try {
        return `Replied with "${decodeUtf8Content(reply.content, 'text')}" to an earlier message`;
      } catch {
        // Not decodable as text: the generic fallback, as libxmtp.
      }
    }
    return 'Replied to an earlier message';
  },
  shouldPush: () => true,
};
