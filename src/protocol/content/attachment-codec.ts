/**
 * `xmtp.org/attachment:1.0`: a file sent inline. Pure; runs everywhere.
 *
 * Wire (libxmtp `attachment.rs`): parameters `mimeType` and optional `filename`; content = the file's
 * bytes; fallback `Can't display <filename|this content>. This app doesn't support attachments.`
 * Reading requires `mimeType` (libxmtp would default it to ""). Pushes.
 */
import { assertContentType, type ContentCodec } from './content-codec.js';
import { optionalParameter, requiredParameter } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';

export const ContentTypeAttachment = contentTypeId({ authorityId: 'xmtp.org', typeId: 'attachment', versionMajor: 1, versionMinor: 0 });

export interface Attachment {
  readonly filename?: string | undefined;
  readonly mimeType: string;
  readonly content: Uint8Array;
}

export const attachmentCodec: ContentCodec<Attachment> = {
  contentType: ContentTypeAttachment,
  encode(attachment) {
    const parameters: Record<string, string> = { mimeType: attachment.mimeType };
    if (attachment.filename !== undefined) parameters.filename = attachment.filename;
    return createEncodedContent({
      type: ContentTypeAttachment,
      parameters,
      fallback: attachmentCodec.fallback(attachment),
      content: attachment.content,
    });
  },
  decode(encoded) {
    assertContentType(attachmentCodec, encoded);
    const mimeType = requiredParameter(encoded, 'mimeType', 'An attachment');
    const filename = optionalParameter(encoded, 'filename');
    return { ...(filename === undefined ? {} : { filename }), mimeType, content: encoded.content };
  },
  fallback: (attachment) => `Can't display ${attachment.filename ?? 'this content'}. This app doesn't support attachments.`,
  shouldPush: () => true,
};
