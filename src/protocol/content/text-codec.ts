/**
 * `xmtp.org/text:1.0`: UTF-8 text. Pure; runs everywhere.
 *
 * Wire (libxmtp `text.rs`): parameters `{encoding: "UTF-8"}`, content = the UTF-8 bytes, no fallback.
 * A missing `encoding` parameter means UTF-8; any other encoding is refused. Pushes.
 */
import type { EncodedContent } from '../../gen/mls/message_contents/content_pb.js';
import { assertContentType, type ContentCodec } from './content-codec.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import { optionalParameter, utf8Bytes, utf8Text } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';

export const ContentTypeText = contentTypeId({ authorityId: 'xmtp.org', typeId: 'text', versionMajor: 1, versionMinor: 0 });

/** Reads UTF-8 text content (shared with markdown, which has the same wire form). */
export function decodeUtf8Content(encoded: EncodedContent, what: string): string {
  const encoding = optionalParameter(encoded, 'encoding') ?? 'UTF-8';
  if (encoding !== 'UTF-8') {
    throw contentError(ContentErrorCodes.unsupportedEncoding, `Unsupported ${what} encoding ${JSON.stringify(encoding)}`);
  }
  return utf8Text(encoded.content, what);
}

export const textCodec: ContentCodec<string> = {
  contentType: ContentTypeText,
  encode: (text) =>
    createEncodedContent({ type: ContentTypeText, parameters: { encoding: 'UTF-8' }, content: utf8Bytes(text) }),
  decode(encoded) {
    assertContentType(textCodec, encoded);
    return decodeUtf8Content(encoded, 'text');
  },
  fallback: () => undefined,
  shouldPush: () => true,
};
