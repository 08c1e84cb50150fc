import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpContentFixture, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { deleteMessageCodec } from './delete-message-codec.js';
import { encodedContentFromBytes, encodedContentToBytes } from './encoded-content.js';

describe('deleteMessageCodec', () => {
  test('default: the deletion libxmtp 1.10 applied, byte for byte, never pushed', () => {
    const theirs = fromHex(libxmtpSentMessage('delete-message-handbuilt').encodedContent);
    const deletion = deleteMessageCodec.decode(encodedContentFromBytes(theirs));
    expect(deletion).toEqual({ messageId: libxmtpContentFixture().extra.deleteMessage.targetMessageId });
    expect(encodedContentToBytes(deleteMessageCodec.encode(deletion))).toEqual(theirs);
    expect(deleteMessageCodec.shouldPush(deletion)).toBe(false);
    expect(deleteMessageCodec.fallback(deletion)).toBeUndefined();
  });

  test('error: content that is not a DeleteMessage protobuf', () => {
    expect(errorCode(() => deleteMessageCodec.decode({ ...deleteMessageCodec.encode({ messageId: 'ab' }), content: new Uint8Array([0x0a]) }))).toBe(
      ContentErrorCodes.malformed,
    );
  });
});
