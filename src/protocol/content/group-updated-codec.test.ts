import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpContentFixture } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { encodedContentFromBytes, encodedContentToBytes } from './encoded-content.js';
import { type GroupUpdated, groupUpdatedCodec } from './group-updated-codec.js';

const empty: GroupUpdated = {
  initiatedByInboxId: 'a',
  addedInboxes: [],
  removedInboxes: [],
  metadataFieldChanges: [],
  leftInboxes: [],
  addedAdminInboxes: [],
  removedAdminInboxes: [],
  addedSuperAdminInboxes: [],
  removedSuperAdminInboxes: [],
};

describe('groupUpdatedCodec', () => {
  test("default: every libxmtp transcript entry re-encodes byte for byte; never pushed, no fallback", () => {
    for (const t of libxmtpContentFixture().transcriptMessages) {
      const update = groupUpdatedCodec.decode(encodedContentFromBytes(fromHex(t.encodedContent)));
      expect(encodedContentToBytes(groupUpdatedCodec.encode(update))).toEqual(fromHex(t.encodedContent));
      expect(groupUpdatedCodec.shouldPush(update)).toBe(false);
      expect(groupUpdatedCodec.fallback(update)).toBeUndefined();
    }
  });

  test('behavior: an absent old value stays absent and an empty one stays empty', () => {
    const update = { ...empty, metadataFieldChanges: [{ fieldName: 'group_name', newValue: 'n' }, { fieldName: 'description', oldValue: '', newValue: 'd' }] };
    expect(groupUpdatedCodec.decode(groupUpdatedCodec.encode(update))).toEqual(update);
  });

  test('error: content that is not a GroupUpdated protobuf', () => {
    expect(errorCode(() => groupUpdatedCodec.decode({ ...groupUpdatedCodec.encode(empty), content: new Uint8Array([0x12, 0x05]) }))).toBe(
      ContentErrorCodes.malformed,
    );
  });
});
