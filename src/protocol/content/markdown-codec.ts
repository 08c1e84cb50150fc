/**
 * `xmtp.org/markdown:1.0`: Markdown source as UTF-8. Pure; runs everywhere.
 *
 * Wire (libxmtp `markdown.rs`): as text, parameters `{encoding: "UTF-8"}`, no fallback. Pushes.
 */
import { assertContentType, type ContentCodec } from './content-codec.js';
import { utf8Bytes } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';
import { decodeUtf8Content } from './text-codec.js';

export const ContentTypeMarkdown = contentTypeId({ authorityId: 'xmtp.org', typeId: 'markdown', versionMajor: 1, versionMinor: 0 });

export const markdownCodec: ContentCodec<string> = {
  contentType: ContentTypeMarkdown,
  encode: (markdown) =>
    createEncodedContent({ type: ContentTypeMarkdown, parameters: { encoding: 'UTF-8' }, content: utf8Bytes(markdown) }),
  decode(encoded) {
    assertContentType(markdownCodec, encoded);
    return decodeUtf8Content(encoded, 'markdown');
  },
  fallback: () => undefined,
  shouldPush: () => true,
};
