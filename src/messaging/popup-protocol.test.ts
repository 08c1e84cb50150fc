import { describe, expect, test } from 'vitest';
import { identityCreateParams } from './popup-protocol.js';

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
