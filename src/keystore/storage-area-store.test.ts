import { describe, expect, test } from 'vitest';
import { describeStoreContract } from '../protocol/storage/store-contract.js';
import { createMemoryStorageArea, createStorageAreaStore } from './storage-area-store.js';

describeStoreContract('extension storage area (unencrypted)', async () => {
  const area = createMemoryStorageArea();
  return { store: createStorageAreaStore({ area }), reopen: async () => createStorageAreaStore({ area }) };
});

describe('createStorageAreaStore', () => {
  test('behavior: a transaction is one set() call; its deletes leave no tombstones behind', async () => {
    const area = createMemoryStorageArea();
    let sets = 0;
    const counted = { ...area, set: (v: Record<string, unknown>) => ((sets += 1), area.set(v)) };
    const store = createStorageAreaStore({ area: counted });
    await store.put('t', 'gone', 1);
    sets = 0;
    await store.transaction((tx) => {
      tx.put('t', 'a', 1);
      tx.put('u', 'b', 2);
      tx.delete('t', 'gone');
    });
    expect(sets).toBe(1);
    expect([...area.items.keys()].some((k) => k.endsWith('gone'))).toBe(false);
    expect(await store.list('t')).toEqual([{ key: 'a', value: 1 }]);
  });

  test('behavior: namespaces and tables do not see each other', async () => {
    const area = createMemoryStorageArea();
    const one = createStorageAreaStore({ area, namespace: 'one' });
    const two = createStorageAreaStore({ area, namespace: 'two' });
    await one.put('t', 'k', 'one');
    await one.put('tt', 'k', 'other table');
    expect(await two.get('t', 'k')).toBeUndefined();
    expect(await one.list('t')).toEqual([{ key: 'k', value: 'one' }]);
  });

  test('error: names Chrome would mangle (NUL, separator in a table name) are refused', async () => {
    const store = createStorageAreaStore({ area: createMemoryStorageArea() });
    await expect(store.put('t', 'a\u0000b', 1)).rejects.toMatchObject({ code: 'storage.invalid_name' });
    await expect(store.put('a/b', 'k', 1)).rejects.toMatchObject({ code: 'storage.invalid_name' });
    await store.put('t', 'a/b', 1); // keys may contain the separator
    expect(await store.list('t', 'a/')).toEqual([{ key: 'a/b', value: 1 }]);
  });

  test('error: a failing write is a retryable storage.write_failed', async () => {
    const area = createMemoryStorageArea();
    const store = createStorageAreaStore({ area: { ...area, set: () => Promise.reject(new Error('QUOTA_BYTES quota exceeded')) } });
    await expect(store.put('t', 'k', 1)).rejects.toMatchObject({ code: 'storage.write_failed', retryable: true });
  });
});
