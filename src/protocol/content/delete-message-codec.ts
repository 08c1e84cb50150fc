/**
 * `xmtp.org/deleteMessage:1.0`: the sender (or a super admin) deletes an earlier message. Pure;
 * runs everywhere.
 *
 * Wire (libxmtp `delete_message.rs`): content = protobuf `DeleteMessage{string message_id = 1}` with
 * the target's id as lowercase hex; no parameters, no fallback. Push: false. libxmtp 1.10 applies it
 * on receipt (the target then reads as `deletedMessage`) but node-sdk 6.0.0 cannot send one and
 * shows the deletion message itself with no content; here both directions work.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { DeleteMessageSchema } from '../../gen/mls/message_contents/content_types/delete_message_pb.js';
import { assertContentType, type ContentCodec } from './content-codec.js';
import { protobufContent } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';

export const ContentTypeDeleteMessage = contentTypeId({ authorityId: 'xmtp.org', typeId: 'deleteMessage', versionMajor: 1, versionMinor: 0 });

export interface DeleteMessage {
  /** The hex id of the message to delete. */
  readonly messageId: string;
}

export const deleteMessageCodec: ContentCodec<DeleteMessage> = {
  contentType: ContentTypeDeleteMessage,
  encode: (deletion) =>
    createEncodedContent({
      type: ContentTypeDeleteMessage,
      content: toBinary(DeleteMessageSchema, create(DeleteMessageSchema, { messageId: deletion.messageId })),
    }),
  decode(encoded) {
    assertContentType(deleteMessageCodec, encoded);
    return { messageId: protobufContent(DeleteMessageSchema, encoded.content, 'A delete message').messageId };
  },
  fallback: () => undefined,
  shouldPush: () => false,
};
