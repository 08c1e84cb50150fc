import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { createEncodedContent, encodedContentFromBytes } from './encoded-content.js';
import { ContentTypeIntent, intentCodec } from './intent-codec.js';

const json = (value: unknown) => createEncodedContent({ type: ContentTypeIntent, content: new TextEncoder().encode(JSON.stringify(value)) });

describe('intentCodec', () => {
  test("default: decodes libxmtp's intent and re-encodes its JSON", () => {
    const theirs = encodedContentFromBytes(fromHex(libxmtpSentMessage('intent').encodedContent));
    const intent = intentCodec.decode(theirs);
    expect(intent).toEqual({ id: 'actions-1', actionId: 'yes', metadata: { note: 'from bob', n: 1 } });
    const ours = intentCodec.encode(intent);
    expect(JSON.parse(new TextDecoder().decode(ours.content))).toEqual(JSON.parse(new TextDecoder().decode(theirs.content)));
    expect(ours.fallback).toBe('User selected action: yes');
    expect(intentCodec.shouldPush(intent)).toBe(true);
  });

  test('behavior: action_id is read; metadata is optional', () => {
    expect(intentCodec.decode(json({ id: 'm', action_id: 'x', metadata: null }))).toEqual({ id: 'm', actionId: 'x' });
    expect(new TextDecoder().decode(intentCodec.encode({ id: 'm', actionId: 'x' }).content)).toBe('{"id":"m","actionId":"x"}');
  });

  test.each([
    ['missing actionId', { id: 'm' }],
    ['a numeric id', { id: 1, actionId: 'x' }],
    ['metadata that is not an object', { id: 'm', actionId: 'x', metadata: [1] }],
  ])('error: %s', (_why, value) => {
    expect(errorCode(() => intentCodec.decode(json(value)))).toBe(ContentErrorCodes.malformed);
  });

  test('error: metadata over 10 KiB is refused on encode, as libxmtp', () => {
    expect(errorCode(() => intentCodec.encode({ id: 'm', actionId: 'x', metadata: { big: 'x'.repeat(10 * 1024) } }))).toBe(ContentErrorCodes.invalidContent);
  });
});
