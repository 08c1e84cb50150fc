import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { encodedContentToBytes } from './encoded-content.js';
import { leaveRequestCodec } from './leave-request-codec.js';

describe('leaveRequestCodec', () => {
  test("default: libxmtp 1.10's empty leave request, byte for byte, never pushed", () => {
    expect(encodedContentToBytes(leaveRequestCodec.encode({}))).toEqual(fromHex(libxmtpSentMessage('leave-request').encodedContent));
    expect(leaveRequestCodec.decode(leaveRequestCodec.encode({}))).toEqual({});
    expect(leaveRequestCodec.shouldPush({})).toBe(false);
    expect(leaveRequestCodec.fallback({})).toBeUndefined();
  });

  test('behavior: an authenticated note round-trips', () => {
    const note = new Uint8Array([1, 2, 3]);
    expect(leaveRequestCodec.decode(leaveRequestCodec.encode({ authenticatedNote: note }))).toEqual({ authenticatedNote: note });
  });

  test('error: content that is not a LeaveRequest protobuf', () => {
    expect(errorCode(() => leaveRequestCodec.decode({ ...leaveRequestCodec.encode({}), content: new Uint8Array([0x0a, 0x09]) }))).toBe(
      ContentErrorCodes.malformed,
    );
  });
});
