import { describe, expect, test } from 'vitest';
import { conversationDmParams, conversationParams, identityCreateParams, MAX_TEXT_LENGTH, messageSendParams } from './popup-protocol.js';

describe('identityCreateParams', () => {
  test('default: network names and node origins pass (URLs normalized to their origin)', () => {
    expect(identityCreateParams({ network: 'local' })).toEqual({ network: 'local' });
    expect(identityCreateParams({ network: 'http://127.0.0.1:5556' })).toEqual({ network: 'http://127.0.0.1:5556' });
    expect(identityCreateParams({ network: 'https://api.dev.xmtp.network:5558/' })).toEqual({ network: 'https://api.dev.xmtp.network:5558' });
  });

  test.each([
    [undefined],
    [{}],
    [{ network: 5 }],
    [{ network: '' }],
    [{ network: 'mainnet' }],
    [{ network: 'ftp://x' }],
    [{ network: 'http://user:pw@host' }],
    [{ network: 'http://host/path' }],
    [{ network: 'local', privateKey: '0x01' }],
  ])('error: %j is invalid_request', (input) => {
    expect(() => identityCreateParams(input)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('conversation and message params', () => {
  const inboxId = 'a'.repeat(64);
  test('default: inbox ids, addresses (lowercased) and hex conversation ids pass', () => {
    expect(conversationDmParams({ peer: inboxId })).toEqual({ peer: inboxId });
    expect(conversationDmParams({ peer: `0x${'AbCd'.repeat(10)}` })).toEqual({ peer: `0x${'abcd'.repeat(10)}` });
    expect(conversationParams({ conversationId: '0a1b' })).toEqual({ conversationId: '0a1b' });
    expect(messageSendParams({ conversationId: '0a1b', text: 'hi' })).toEqual({ conversationId: '0a1b', text: 'hi' });
  });

  test.each([
    [conversationDmParams, { peer: 'bob' }],
    [conversationDmParams, { peer: 'A'.repeat(64) }],
    [conversationDmParams, { peer: inboxId, key: 1 }],
    [conversationParams, { conversationId: 'abc' }],
    [conversationParams, { conversationId: 'zz' }],
    [conversationParams, {}],
    [messageSendParams, { conversationId: 'ab', text: '' }],
    [messageSendParams, { conversationId: 'ab', text: 'x'.repeat(MAX_TEXT_LENGTH + 1) }],
    [messageSendParams, { conversationId: 'ab', text: 5 }],
  ] as const)('error: %o %j is invalid_request', (validate, input) => {
    expect(() => validate(input)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
