/**
 * The contract test suite every Store implementation must pass (memory, SQLite file, encrypted
 * IndexedDB). Test support; runs under vitest.
 */
import { describe, expect, test } from 'vitest';
import type { Store } from './store.js';

export function describeStoreContract(name: string, open: () => Promise<{ store: Store; reopen?: () => Promise<Store>; close?: () => Promise<void> }>): void {
  describe(`Store contract: ${name}`, () => {
    test('default: values come back equal, with bytes and bigints intact', async () => {
      const { store, close } = await open();
      const value = { a: new Uint8Array([0, 1, 255]), n: 2n ** 70n, s: 'x', f: 1.5, b: true, z: null, list: [1n, new Uint8Array(), { deep: 'y' }] };
      await store.put('t', 'k', value);
      expect(await store.get('t', 'k')).toEqual(value);
      expect(await store.get('t', 'missing')).toBeUndefined();
      expect(await store.get('other', 'k')).toBeUndefined();
      await close?.();
    });

    test('behavior: stored values are copies: mutating either side changes nothing', async () => {
      const { store, close } = await open();
      const bytes = new Uint8Array([1, 2, 3]);
      await store.put('t', 'k', { bytes });
      bytes[0] = 9;
      const read = await store.get<{ bytes: Uint8Array }>('t', 'k');
      expect(read?.bytes).toEqual(new Uint8Array([1, 2, 3]));
      read!.bytes[1] = 9;
      expect((await store.get<{ bytes: Uint8Array }>('t', 'k'))?.bytes).toEqual(new Uint8Array([1, 2, 3]));
      await close?.();
    });

    test('behavior: list returns records by prefix in key order; delete removes', async () => {
      const { store, close } = await open();
      for (const k of ['b/2', 'a/1', 'b/1', 'c']) await store.put('t', k, k);
      expect((await store.list('t', 'b/')).map((r) => r.key)).toEqual(['b/1', 'b/2']);
      expect((await store.list('t')).map((r) => r.value)).toEqual(['a/1', 'b/1', 'b/2', 'c']);
      await store.delete('t', 'b/1');
      expect((await store.list('t', 'b/')).map((r) => r.key)).toEqual(['b/2']);
      await close?.();
    });

    test('behavior: a transaction applies all of its writes, or none when it throws', async () => {
      const { store, close } = await open();
      await store.put('t', 'keep', 1);
      await store.transaction((tx) => {
        tx.put('t', 'x', 1);
        tx.put('u', 'y', 2);
        tx.delete('t', 'keep');
      });
      expect([await store.get('t', 'x'), await store.get('u', 'y'), await store.get('t', 'keep')]).toEqual([1, 2, undefined]);
      await expect(
        store.transaction((tx) => {
          tx.put('t', 'half', 1);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.get('t', 'half')).toBeUndefined();
      await close?.();
    });

    test('behavior: what was written survives reopening', async () => {
      const { store, reopen, close } = await open();
      if (!reopen) return; // an in-memory store keeps nothing across instances by design
      await store.put('t', 'k', { v: 7n });
      const again = await reopen();
      expect(await again.get('t', 'k')).toEqual({ v: 7n });
      await close?.();
    });
  });
}
