import { describe, expect, test } from 'vitest';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { createEncodedContent, encodedContentToBytes } from './encoded-content.js';
import { hex } from './content-fields.js';
import { ContentTypeMarkdown, markdownCodec } from './markdown-codec.js';
import { ContentTypeText, textCodec } from './text-codec.js';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';

describe('textCodec', () => {
  test("default: encodes exactly as libxmtp (parameters {encoding: UTF-8}, no fallback)", () => {
    const sent = libxmtpSentMessage('text');
    expect(hex(encodedContentToBytes(textCodec.encode(sent.sdk.content as string)))).toBe(sent.encodedContent);
    expect(textCodec.decode(textCodec.encode('hi 👋'))).toBe('hi 👋');
    expect(textCodec.fallback('x')).toBeUndefined();
    expect(textCodec.shouldPush('x')).toBe(true);
  });

  test('behavior: a missing encoding parameter means UTF-8; a newer minor version is read', () => {
    const type = { ...ContentTypeText, versionMinor: 3 };
    expect(textCodec.decode(createEncodedContent({ type, content: new TextEncoder().encode('ok') }))).toBe('ok');
  });

  test('behavior: markdown has the same wire form under its own type', () => {
    const sent = libxmtpSentMessage('markdown');
    const encoded = markdownCodec.encode(sent.sdk.content as string);
    expect(encodedContentToBytes(encoded)).toEqual(fromHex(sent.encodedContent));
    expect(markdownCodec.decode(encoded)).toBe(sent.sdk.content);
    expect(markdownCodec.shouldPush('x')).toBe(true);
  });

  test('error: another encoding', () => {
    const encoded = createEncodedContent({ type: ContentTypeText, parameters: { encoding: 'UTF-16' }, content: new Uint8Array([0, 0x61]) });
    expect(errorCode(() => textCodec.decode(encoded))).toBe(ContentErrorCodes.unsupportedEncoding);
  });

  test('error: invalid UTF-8', () => {
    const encoded = createEncodedContent({ type: ContentTypeText, content: new Uint8Array([0xc3, 0x28]) });
    expect(errorCode(() => textCodec.decode(encoded))).toBe(ContentErrorCodes.malformed);
  });

  test('error: wrong type, or no type', () => {
    expect(errorCode(() => textCodec.decode(markdownCodec.encode('# x')))).toBe(ContentErrorCodes.typeMismatch);
    expect(errorCode(() => markdownCodec.decode(textCodec.encode('x')))).toBe(ContentErrorCodes.typeMismatch);
    expect(errorCode(() => textCodec.decode(createEncodedContent({ type: { ...ContentTypeText, versionMajor: 2 } })))).toBe(ContentErrorCodes.typeMismatch);
    const untyped = { ...textCodec.encode('x'), type: undefined };
    expect(errorCode(() => textCodec.decode(untyped))).toBe(ContentErrorCodes.invalidContentType);
    expect(ContentTypeMarkdown.typeId).toBe('markdown');
  });
});
