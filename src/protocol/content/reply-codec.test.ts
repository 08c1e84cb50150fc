import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { createEncodedContent, encodedContentFromBytes, encodedContentToBytes } from './encoded-content.js';
import { markdownCodec } from './markdown-codec.js';
import { ContentTypeReply, replyCodec } from './reply-codec.js';
import { textCodec } from './text-codec.js';

const reference = 'e616a28f9a0765b410a70aac5c19576a0e15041fa50b89a4ac59de0cef3821a5';

describe('replyCodec', () => {
  test("default: a text reply carries libxmtp's parameters, fallback and inner bytes", () => {
    const theirs = encodedContentFromBytes(fromHex(libxmtpSentMessage('reply').encodedContent));
    const ours = replyCodec.encode({ reference, referenceInboxId: theirs.parameters.referenceInboxId, content: textCodec.encode('A reply from bob') });
    expect(ours.parameters).toEqual(theirs.parameters);
    expect(Object.keys(ours.parameters)).toEqual(['reference', 'contentType', 'referenceInboxId']);
    expect(ours.fallback).toBe('Replied with "A reply from bob" to an earlier message');
    expect(ours.content).toEqual(theirs.content);
    expect(replyCodec.shouldPush(replyCodec.decode(ours))).toBe(true);
  });

  test('behavior: decoding gives the inner EncodedContent undecoded, and omits an absent referenceInboxId', () => {
    const reply = replyCodec.decode(replyCodec.encode({ reference, content: markdownCodec.encode('*hi*') }));
    expect(reply.reference).toBe(reference);
    expect('referenceInboxId' in reply).toBe(false);
    expect(markdownCodec.decode(reply.content)).toBe('*hi*');
    expect(replyCodec.fallback(reply)).toBe('Replied to an earlier message');
  });

  test('behavior: an untyped inner content takes the contentType parameter', () => {
    const inner = { ...textCodec.encode('x'), type: undefined };
    const encoded = createEncodedContent({
      type: ContentTypeReply,
      parameters: { reference, contentType: 'xmtp.org/text:1.0' },
      content: encodedContentToBytes(inner),
    });
    expect(textCodec.decode(replyCodec.decode(encoded).content)).toBe('x');
  });

  test('error: missing reference', () => {
    const encoded = createEncodedContent({ type: ContentTypeReply, parameters: {}, content: encodedContentToBytes(textCodec.encode('x')) });
    expect(errorCode(() => replyCodec.decode(encoded))).toBe(ContentErrorCodes.missingParameter);
  });

  test('error: a malformed contentType parameter or inner content', () => {
    const inner = encodedContentToBytes(textCodec.encode('x'));
    const badType = createEncodedContent({ type: ContentTypeReply, parameters: { reference, contentType: 'text' }, content: inner });
    expect(errorCode(() => replyCodec.decode(badType))).toBe(ContentErrorCodes.invalidContentType);
    const badInner = createEncodedContent({ type: ContentTypeReply, parameters: { reference }, content: new Uint8Array([0x0a, 0x05, 0x01]) });
    expect(errorCode(() => replyCodec.decode(badInner))).toBe(ContentErrorCodes.malformed);
  });
});
