import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../errors.js';
import { errorCode } from '../test-support/content-errors.js';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { formatChronoUtc, groupUpdatedMessageId, messageId, welcomeAddedMessageId } from './message-id.js';

describe('message ids', () => {
  test("default: libxmtp's id of a sent message", () => {
    const sent = libxmtpSentMessage('reply');
    expect(messageId(fromHex(sent.conversationId), sent.idempotencyKey, fromHex(sent.encodedContent))).toBe(sent.messageId);
  });

  test('behavior: any change of group, key or bytes changes the id', () => {
    const g = new Uint8Array([1]);
    const base = messageId(g, 'k', new Uint8Array([1]));
    expect(messageId(new Uint8Array([2]), 'k', new Uint8Array([1]))).not.toBe(base);
    expect(messageId(g, 'k2', new Uint8Array([1]))).not.toBe(base);
    expect(messageId(g, 'k', new Uint8Array([2]))).not.toBe(base);
    expect(groupUpdatedMessageId(g, 5n, new Uint8Array([1]))).toBe(messageId(g, '5', new Uint8Array([1])));
    expect(welcomeAddedMessageId(g, 0n, new Uint8Array([1]))).toBe(messageId(g, '1970-01-01 00:00:00 UTC_welcome_added', new Uint8Array([1])));
  });

  test.each([
    [1_795_677_827_040_000_000n, '2026-11-26 07:23:47.040 UTC'],
    [1_795_677_827_000_000_000n, '2026-11-26 07:23:47 UTC'],
    [1_795_677_827_000_123_000n, '2026-11-26 07:23:47.000123 UTC'],
    [1_795_677_827_000_000_001n, '2026-11-26 07:23:47.000000001 UTC'],
    [-1n, '1969-12-31 23:59:59.999999999 UTC'],
  ])('behavior: chrono renders %d as %s', (ns, text) => {
    expect(formatChronoUtc(ns)).toBe(text);
  });

  test('error: no group id', () => {
    expect(errorCode(() => messageId(new Uint8Array(0), 'k', new Uint8Array(1)))).toBe(ErrorCodes.invalidRequest);
  });
});
