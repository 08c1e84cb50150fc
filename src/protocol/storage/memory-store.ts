/**
 * An in-memory Store (tests, and clients that keep nothing). Pure; runs everywhere. Values are
 * copied in and out through the value codec, so callers can never share or mutate stored state.
 */
import type { Store, StoredValue, StoreWriter } from './store.js';
import { decodeStoredValue, encodeStoredValue } from './value-codec.js';

export function createMemoryStore(): Store {
  const tables = new Map<string, Map<string, Uint8Array>>();
  const table = (name: string) => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = new Map()));
    return t;
  };
  const apply = (ops: [string, string, Uint8Array | undefined][]) => {
    for (const [name, key, bytes] of ops) {
      if (bytes) table(name).set(key, bytes);
      else table(name).delete(key);
    }
  };
  return {
    async get<T extends StoredValue>(name: string, key: string) {
      const bytes = tables.get(name)?.get(key);
      return bytes ? (decodeStoredValue(bytes) as T) : undefined;
    },
    async list<T extends StoredValue>(name: string, prefix = '') {
      return [...(tables.get(name) ?? new Map<string, Uint8Array>())]
        .filter(([k]) => k.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, bytes]) => ({ key, value: decodeStoredValue(bytes) as T }));
    },
    async put(name, key, value) {
      apply([[name, key, encodeStoredValue(value)]]);
    },
    async delete(name, key) {
      apply([[name, key, undefined]]);
    },
    async transaction(write) {
      const ops: [string, string, Uint8Array | undefined][] = [];
      const tx: StoreWriter = {
        put: (name, key, value) => ops.push([name, key, encodeStoredValue(value)]),
        delete: (name, key) => ops.push([name, key, undefined]),
      };
      write(tx); // throws before anything is applied
      apply(ops);
    },
  };
}
