import { describe, expect, test } from 'vitest';
import { privateKeyToAccount } from 'viem/accounts';
import { errorOf } from '../test-support/identity-builder.js';
import { decodeHex, isEthereumAddress, normalizeEthereumAddress, toInstallationId, toPasskeyIdentifier } from './identifiers.js';
import { IdentityErrorCodes } from './identity-errors.js';

describe('normalizeEthereumAddress', () => {
  test('default: a checksummed address becomes lowercase and keeps 0x', () => {
    const account = privateKeyToAccount(`0x${'11'.repeat(32)}`);
    expect(account.address).not.toBe(account.address.toLowerCase());
    expect(normalizeEthereumAddress(account.address)).toBe(account.address.toLowerCase());
    expect(normalizeEthereumAddress('0xABCDEFabcdef0123456789abcdef0123456789AB')).toBe('0xabcdefabcdef0123456789abcdef0123456789ab');
  });

  test.each([
    ['no 0x prefix', 'abcdefabcdef0123456789abcdef0123456789ab'],
    ['39 hex digits', '0xabcdefabcdef0123456789abcdef0123456789a'],
    ['41 hex digits', '0xabcdefabcdef0123456789abcdef0123456789abc'],
    ['a non-hex digit', '0xabcdefabcdef0123456789abcdef0123456789ag'],
    ['0X prefix', '0XABCDEFABCDEF0123456789ABCDEF0123456789AB'],
    ['empty', ''],
  ])('error: %s is refused with identity.invalid_identifier', async (_, address) => {
    const error = await errorOf(() => normalizeEthereumAddress(address));
    expect(error.code).toBe(IdentityErrorCodes.invalidIdentifier);
    expect(error.message).toContain('0x followed by 40 hex digits');
    expect(isEthereumAddress(address)).toBe(false);
  });
});

describe('toPasskeyIdentifier', () => {
  test('default: the lowercase hex of the public key', () => {
    expect(toPasskeyIdentifier(new Uint8Array([0x04, 0xab, 0xcd]))).toBe('04abcd');
  });
  test('error: an empty key', async () => {
    expect((await errorOf(() => toPasskeyIdentifier(new Uint8Array()))).code).toBe(IdentityErrorCodes.invalidIdentifier);
  });
});

describe('toInstallationId', () => {
  test('default: the lowercase hex of the 32-byte key', () => {
    expect(toInstallationId(new Uint8Array(32).fill(0xab))).toBe('ab'.repeat(32));
  });
  test('error: a key that is not 32 bytes', async () => {
    const error = await errorOf(() => toInstallationId(new Uint8Array(31)));
    expect(error.code).toBe(IdentityErrorCodes.invalidIdentifier);
    expect(error.message).toContain('32 bytes');
  });
});

describe('decodeHex', () => {
  test('behavior: either case, even length; undefined otherwise', () => {
    expect(decodeHex('0aFF')).toEqual(new Uint8Array([0x0a, 0xff]));
    expect(decodeHex('')).toEqual(new Uint8Array());
    expect(decodeHex('abc')).toBeUndefined();
    expect(decodeHex('0x00')).toBeUndefined();
  });
});
