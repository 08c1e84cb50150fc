/**
 * `xmtp.org/multiRemoteStaticAttachment:1.0`: several remote attachments in one message, as protobuf
 * `MultiRemoteAttachment` (each entry a `RemoteAttachmentInfo` with the same fields as a single
 * remote attachment). Pure; runs everywhere.
 *
 * Wire (libxmtp `multi_remote_attachment.rs`): no parameters, fallback
 * `Can't display this content. This app doesn't support multiple remote attachments.` Pushes.
 * Entries are read as they are (libxmtp checks nothing either); encoding refuses key material of
 * the wrong size.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { MultiRemoteAttachmentSchema } from '../../gen/mls/message_contents/content_types/multi_remote_attachment_pb.js';
import { assertContentType, type ContentCodec } from './content-codec.js';
import { protobufContent } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';
import { assertRemoteAttachmentKeys, type RemoteAttachment } from './remote-attachment-codec.js';

export const ContentTypeMultiRemoteAttachment = contentTypeId({
  authorityId: 'xmtp.org',
  typeId: 'multiRemoteStaticAttachment',
  versionMajor: 1,
  versionMinor: 0,
});

export interface MultiRemoteAttachment {
  readonly attachments: readonly RemoteAttachment[];
}

export const multiRemoteAttachmentCodec: ContentCodec<MultiRemoteAttachment> = {
  contentType: ContentTypeMultiRemoteAttachment,
  encode(multi) {
    for (const attachment of multi.attachments) assertRemoteAttachmentKeys(attachment);
    const message = create(MultiRemoteAttachmentSchema, {
      attachments: multi.attachments.map((a) => ({
        contentDigest: a.contentDigest,
        secret: a.secret,
        nonce: a.nonce,
        salt: a.salt,
        scheme: a.scheme,
        url: a.url,
        ...(a.contentLength === undefined ? {} : { contentLength: a.contentLength }),
        ...(a.filename === undefined ? {} : { filename: a.filename }),
      })),
    });
    return createEncodedContent({
      type: ContentTypeMultiRemoteAttachment,
      fallback: multiRemoteAttachmentCodec.fallback(multi),
      content: toBinary(MultiRemoteAttachmentSchema, message),
    });
  },
  decode(encoded) {
    assertContentType(multiRemoteAttachmentCodec, encoded);
    const message = protobufContent(MultiRemoteAttachmentSchema, encoded.content, 'A multi remote attachment');
    return {
      attachments: message.attachments.map((a) => ({
        url: a.url,
        contentDigest: a.contentDigest,
        secret: a.secret,
        salt: a.salt,
        nonce: a.nonce,
        scheme: a.scheme,
        ...(a.contentLength === undefined ? {} : { contentLength: a.contentLength }),
        ...(a.filename === undefined ? {} : { filename: a.filename }),
      })),
    };
  },
  fallback: () => "Can't display this content. This app doesn't support multiple remote attachments.",
  shouldPush: () => true,
};
