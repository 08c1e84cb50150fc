import { describe, expect, test } from 'vitest';
import { XmtpError } from '../errors.js';
import { createMemoryStore } from './memory-store.js';
import { describeStoreContract } from './store-contract.js';
import { decodeStoredValue, encodeStoredValue } from './value-codec.js';

describeStoreContract('memory', async () => ({ store: createMemoryStore() }));

describe('value codec', () => {
  test('error: non-finite numbers cannot be stored; corrupt bytes cannot be read', () => {
    expect(() => encodeStoredValue(Number.NaN)).toThrow(XmtpError);
    expect(() => decodeStoredValue(new Uint8Array([0xff, 0x00]))).toThrow(/could not be read/);
  });
});
