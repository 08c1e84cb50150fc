import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { createEncodedContent, encodedContentFromBytes, encodedContentToBytes } from './encoded-content.js';
import { ContentTypeMultiRemoteAttachment, multiRemoteAttachmentCodec } from './multi-remote-attachment-codec.js';

const theirs = () => fromHex(libxmtpSentMessage('multi-remote-attachment').encodedContent);

describe('multiRemoteAttachmentCodec', () => {
  test("default: decodes libxmtp's two attachments and re-encodes its exact bytes", () => {
    const multi = multiRemoteAttachmentCodec.decode(encodedContentFromBytes(theirs()));
    expect(multi.attachments.map((a) => a.filename)).toEqual(['hello.txt', 'b.bin']);
    expect(encodedContentToBytes(multiRemoteAttachmentCodec.encode(multi))).toEqual(theirs());
    expect(multiRemoteAttachmentCodec.shouldPush(multi)).toBe(true);
  });

  test('behavior: an empty list and entries without the optional fields', () => {
    expect(multiRemoteAttachmentCodec.decode(multiRemoteAttachmentCodec.encode({ attachments: [] }))).toEqual({ attachments: [] });
    const [first] = multiRemoteAttachmentCodec.decode(encodedContentFromBytes(theirs())).attachments;
    const { contentLength: _l, filename: _f, ...bare } = first!;
    expect(multiRemoteAttachmentCodec.decode(multiRemoteAttachmentCodec.encode({ attachments: [bare] }))).toEqual({ attachments: [bare] });
  });

  test('error: content that is not a MultiRemoteAttachment protobuf', () => {
    const encoded = createEncodedContent({ type: ContentTypeMultiRemoteAttachment, content: new Uint8Array([0x0a, 0x10, 0x00]) });
    expect(errorCode(() => multiRemoteAttachmentCodec.decode(encoded))).toBe(ContentErrorCodes.malformed);
  });

  test('error: encoding an entry with a short secret', () => {
    const [first] = multiRemoteAttachmentCodec.decode(encodedContentFromBytes(theirs())).attachments;
    expect(errorCode(() => multiRemoteAttachmentCodec.encode({ attachments: [{ ...first!, secret: new Uint8Array(8) }] }))).toBe(ContentErrorCodes.invalidContent);
  });
});
