import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { attachmentCodec, ContentTypeAttachment } from './attachment-codec.js';
import { ContentErrorCodes } from './content-errors.js';
import { createEncodedContent, encodedContentFromBytes } from './encoded-content.js';

describe('attachmentCodec', () => {
  test("default: libxmtp's parameters, fallback and content", () => {
    const theirs = encodedContentFromBytes(fromHex(libxmtpSentMessage('attachment').encodedContent));
    const ours = attachmentCodec.encode({ filename: 'hello.txt', mimeType: 'text/plain', content: new TextEncoder().encode('Hello, attachment!\n') });
    expect(ours.parameters).toEqual(theirs.parameters);
    expect(ours.fallback).toBe(theirs.fallback);
    expect(ours.content).toEqual(theirs.content);
    expect(attachmentCodec.decode(ours)).toEqual({ filename: 'hello.txt', mimeType: 'text/plain', content: theirs.content });
    expect(attachmentCodec.shouldPush(attachmentCodec.decode(ours))).toBe(true);
  });

  test('behavior: without a filename, no filename parameter and the generic fallback', () => {
    const ours = attachmentCodec.encode({ mimeType: 'application/octet-stream', content: new Uint8Array([0, 1, 2, 0xfe, 0xff]) });
    expect(Object.keys(ours.parameters)).toEqual(['mimeType']);
    expect(ours.fallback).toBe("Can't display this content. This app doesn't support attachments.");
    expect('filename' in attachmentCodec.decode(ours)).toBe(false);
  });

  test('error: missing mimeType', () => {
    const encoded = createEncodedContent({ type: ContentTypeAttachment, parameters: { filename: 'a.txt' }, content: new Uint8Array([1]) });
    expect(errorCode(() => attachmentCodec.decode(encoded))).toBe(ContentErrorCodes.missingParameter);
  });
});
