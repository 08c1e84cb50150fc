import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { type Actions, actionsCodec, ContentTypeActions } from './actions-codec.js';
import { ContentErrorCodes } from './content-errors.js';
import { createEncodedContent, encodedContentFromBytes, encodedContentToBytes } from './encoded-content.js';

const json = (value: unknown) => createEncodedContent({ type: ContentTypeActions, content: new TextEncoder().encode(JSON.stringify(value)) });
const menu: Actions = { id: 'm', description: 'Pick', actions: [{ id: 'a', label: 'A' }] };

describe('actionsCodec', () => {
  test("default: libxmtp's exact bytes and fallback", () => {
    const theirs = fromHex(libxmtpSentMessage('actions').encodedContent);
    const actions = actionsCodec.decode(encodedContentFromBytes(theirs));
    expect(actions.expiresAtNs).toBe(1_900_000_000_000_000_000n);
    expect(actions.actions.map((a) => a.style)).toEqual(['primary', 'danger']);
    expect(encodedContentToBytes(actionsCodec.encode(actions))).toEqual(theirs);
    expect(actionsCodec.fallback(actions)).toBe('Pick one\n\n[1] Yes\n[2] No\n\nReply with the number to select');
    expect(actionsCodec.shouldPush(actions)).toBe(true);
  });

  test('behavior: snake_case aliases and offsets are read', () => {
    const decoded = actionsCodec.decode(
      json({ id: 'm', description: 'd', actions: [{ id: 'a', label: 'A', image_url: 'https://i', expires_at: '2030-03-17T18:46:40.000+01:00' }] }),
    );
    expect(decoded.actions[0]).toEqual({ id: 'a', label: 'A', imageUrl: 'https://i', expiresAtNs: 1_900_000_000_000_000_000n });
  });

  test.each([
    ['missing description', { id: 'm', actions: [] }],
    ['an unknown style', { id: 'm', description: 'd', actions: [{ id: 'a', label: 'A', style: 'loud' }] }],
    ['a bad expiry', { id: 'm', description: 'd', actions: [], expiresAt: 'tomorrow' }],
    ['an action without a label', { id: 'm', description: 'd', actions: [{ id: 'a' }] }],
  ])('error: %s', (_why, value) => {
    expect(errorCode(() => actionsCodec.decode(json(value)))).toBe(ContentErrorCodes.malformed);
  });

  test('error: libxmtp refuses to encode an empty list, more than 10 actions, duplicate ids', () => {
    expect(errorCode(() => actionsCodec.encode({ ...menu, actions: [] }))).toBe(ContentErrorCodes.invalidContent);
    const many = Array.from({ length: 11 }, (_, i) => ({ id: `a${i}`, label: `A${i}` }));
    expect(errorCode(() => actionsCodec.encode({ ...menu, actions: many }))).toBe(ContentErrorCodes.invalidContent);
    expect(errorCode(() => actionsCodec.encode({ ...menu, actions: [menu.actions[0]!, menu.actions[0]!] }))).toBe(ContentErrorCodes.invalidContent);
  });
});
