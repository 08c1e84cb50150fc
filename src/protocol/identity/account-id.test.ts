import { describe, expect, test } from 'vitest';
import { errorOf } from '../test-support/identity-builder.js';
import { parseAccountId } from './account-id.js';
import { IdentityErrorCodes } from './identity-errors.js';

describe('parseAccountId', () => {
  test('default: eip155:<chainId>:<address> with the address lowercased', () => {
    expect(parseAccountId('eip155:8453:0xABCDEFabcdef0123456789abcdef0123456789AB')).toEqual({
      chain: 'eip155:8453',
      chainId: 8453n,
      address: '0xabcdefabcdef0123456789abcdef0123456789ab',
    });
  });

  test('behavior: a chain id with leading zeros parses as libxmtp 1.10 does (u64::from_str)', () => {
    expect(parseAccountId('eip155:01:0x1234567890abcdef1234567890abcdef12345678').chainId).toBe(1n);
  });

  test.each([
    ['two parts', 'eip155:0x1234567890abcdef1234567890abcdef12345678', '3 parts'],
    ['four parts', 'eip155:1:0x1234567890abcdef1234567890abcdef12345678:x', '3 parts'],
    ['another namespace', 'cosmos:hub:0x1234567890abcdef1234567890abcdef12345678', 'eip155'],
    ['a non-decimal chain id', 'eip155:0x1:0x1234567890abcdef1234567890abcdef12345678', 'decimal'],
    ['a chain id past u64', `eip155:${1n << 64n}:0x1234567890abcdef1234567890abcdef12345678`, 'u64'],
    ['a malformed address', 'eip155:1:0x1234', '40 hex'],
    ['characters libxmtp refuses', 'eip155:1:0x12345678 90abcdef1234567890abcdef12345678', 'malformed'],
  ])('error: %s', async (_, accountId, message) => {
    const error = await errorOf(() => parseAccountId(accountId));
    expect(error.code).toBe(IdentityErrorCodes.invalidAccountId);
    expect(error.message).toContain(message);
  });
});
