import { describe, expect, test } from 'vitest';
import { XmtpError } from '../errors.js';
import { libxmtpGroupMessages, libxmtpKeyPackage } from '../test-support/libxmtp-fixtures.js';
import { MlsErrorCodes, readGroupMessageFraming } from './framing.js';

describe('readGroupMessageFraming', () => {
  test('default: a libxmtp commit is a commit of a 16-byte group', () => {
    const framing = readGroupMessageFraming(libxmtpGroupMessages().commit);
    expect(framing).toMatchObject({ wireFormat: 'private', contentType: 'commit', isCommit: true });
    expect(framing.groupId).toHaveLength(16);
  });

  test('behavior: a libxmtp application message is not a commit', () => {
    const framing = readGroupMessageFraming(libxmtpGroupMessages().application);
    expect(framing).toMatchObject({ wireFormat: 'private', contentType: 'application', isCommit: false });
    expect(framing.epoch).toBeGreaterThan(0n);
  });

  test('error: key packages, garbage, truncation and trailing bytes are not group messages', () => {
    const { application } = libxmtpGroupMessages();
    const kpAsMessage = new Uint8Array([0, 1, 0, 5, ...libxmtpKeyPackage()]);
    for (const bad of [new Uint8Array(), new Uint8Array([0, 1, 0, 2]), application.subarray(0, 30), new Uint8Array([...application, 7]), kpAsMessage]) {
      let error: unknown;
      try {
        readGroupMessageFraming(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(XmtpError);
      expect((error as XmtpError).code).toBe(MlsErrorCodes.invalidMessage);
    }
  });
});
