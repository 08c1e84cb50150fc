import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { encodedContentToBytes } from './encoded-content.js';
import { readReceiptCodec } from './read-receipt-codec.js';
import { textCodec } from './text-codec.js';

describe('readReceiptCodec', () => {
  test("default: libxmtp's bytes (a bare type), no fallback, no push", () => {
    expect(encodedContentToBytes(readReceiptCodec.encode({}))).toEqual(fromHex(libxmtpSentMessage('read-receipt').encodedContent));
    expect(readReceiptCodec.fallback({})).toBeUndefined();
    expect(readReceiptCodec.shouldPush({})).toBe(false);
  });

  test('behavior: content bytes are ignored, as libxmtp', () => {
    expect(readReceiptCodec.decode({ ...readReceiptCodec.encode({}), content: new Uint8Array([1, 2]) })).toEqual({});
  });

  test('error: another type', () => {
    expect(errorCode(() => readReceiptCodec.decode(textCodec.encode('read')))).toBe(ContentErrorCodes.typeMismatch);
  });
});
