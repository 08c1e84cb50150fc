/**
 * A persistent `Store` over an extension storage area (`chrome.storage.local`). Runs in the
 * background service worker; tests pass an in-memory area.
 *
 * NOT ENCRYPTED: records, secrets included, are written in the clear to the browser profile. This is
 * the interim store the background uses until the encrypted keystore (vault + Dexie) replaces it; it
 * must not be used for anything but development and test identities until then.
 *
 * Guarantees (the Store contract): a `put`/`delete` is durable once its promise settles; a
 * `transaction` is one `set()` call, which Chrome commits as a single write batch, so it applies all
 * of its writes or none (its deletes are written as tombstones in that batch and removed afterwards;
 * a tombstone reads as absent); values round-trip through the shared value codec (Uint8Array and
 * bigint intact, copies in and out). `list` reads the whole area and filters: fine for the few records
 * it holds today, not for message history.
 */
import { XmtpError } from '../protocol/errors.js';
import type { Store, StoredValue, StoreWriter } from '../protocol/storage/store.js';
import { decodeStoredValue, encodeStoredValue } from '../protocol/storage/value-codec.js';

/** The part of `chrome.storage.StorageArea` this store needs (promise-based, as in MV3). */
export interface StorageAreaLike {
  get(keys: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

export interface CreateStorageAreaStoreParameters {
  readonly area: StorageAreaLike;
  /** Namespace for this store's items in the area (default `xmtp-store`). */
  readonly namespace?: string;
}

export const StorageAreaStoreErrorCodes = {
  invalidName: 'storage.invalid_name',
  writeFailed: 'storage.write_failed',
  readFailed: 'storage.read_failed',
} as const;

// Chrome's storage cuts item keys at the first NUL, so keys use '/' and names may not contain NUL.
const SEPARATOR = '/';
const TOMBSTONE = null;

export function createStorageAreaStore({ area, namespace = 'xmtp-store' }: CreateStorageAreaStoreParameters): Store {
  const checkName = (what: string, name: string, allowSeparator: boolean): void => {
    if (name.includes('\u0000') || (!allowSeparator && (name.length === 0 || name.includes(SEPARATOR)))) {
      throw new XmtpError(StorageAreaStoreErrorCodes.invalidName, `invalid ${what} ${JSON.stringify(name)}`);
    }
  };
  checkName('namespace', namespace, false);
  const tablePrefix = (table: string): string => {
    checkName('table name', table, false);
    return `${namespace}${SEPARATOR}${table}${SEPARATOR}`;
  };
  const itemKey = (table: string, key: string): string => {
    checkName('key', key, true);
    return `${tablePrefix(table)}${key}`;
  };
  const encode = (value: StoredValue): string => new TextDecoder().decode(encodeStoredValue(value));
  const decode = (text: unknown): StoredValue => {
    if (typeof text !== 'string') throw new XmtpError('storage.corrupt_record', 'A stored record could not be read');
    return decodeStoredValue(new TextEncoder().encode(text));
  };

  const read = async (keys: string | null): Promise<Record<string, unknown>> => {
    try {
      return await area.get(keys);
    } catch (cause) {
      throw new XmtpError(StorageAreaStoreErrorCodes.readFailed, 'Reading extension storage failed', { retryable: true, cause });
    }
  };
  const write = async (items: Record<string, unknown>, tombstones: string[]): Promise<void> => {
    try {
      await area.set(items);
    } catch (cause) {
      throw new XmtpError(StorageAreaStoreErrorCodes.writeFailed, 'Writing extension storage failed', { retryable: true, cause });
    }
    // The batch above already committed the deletes as tombstones; removing them is housekeeping.
    if (tombstones.length > 0) await area.remove(tombstones).catch(() => undefined);
  };

  return {
    async get<T extends StoredValue>(table: string, key: string) {
      const k = itemKey(table, key);
      const raw = (await read(k))[k];
      return raw === undefined || raw === TOMBSTONE ? undefined : (decode(raw) as T);
    },
    async list<T extends StoredValue>(table: string, prefix = '') {
      const start = itemKey(table, prefix);
      const head = tablePrefix(table).length;
      return Object.entries(await read(null))
        .filter(([k, v]) => k.startsWith(start) && v !== TOMBSTONE)
        .map(([k, v]) => ({ key: k.slice(head), value: decode(v) as T }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async put(table, key, value) {
      await write({ [itemKey(table, key)]: encode(value) }, []);
    },
    async delete(table, key) {
      const k = itemKey(table, key);
      await write({ [k]: TOMBSTONE }, [k]);
    },
    async transaction(writeOps) {
      const items: Record<string, unknown> = {};
      const tx: StoreWriter = {
        put: (table, key, value) => {
          items[itemKey(table, key)] = encode(value);
        },
        delete: (table, key) => {
          items[itemKey(table, key)] = TOMBSTONE;
        },
      };
      writeOps(tx); // throws before anything is written
      if (Object.keys(items).length === 0) return;
      const tombstones = Object.keys(items).filter((k) => items[k] === TOMBSTONE);
      await write(items, tombstones);
    },
  };
}

/**
 * An in-memory StorageAreaLike (tests): values are structured-cloned, as Chrome's storage does, and
 * a key with NUL is refused (Chrome would silently cut it there).
 */
export function createMemoryStorageArea(): StorageAreaLike & { readonly items: Map<string, unknown> } {
  const items = new Map<string, unknown>();
  return {
    items,
    async get(keys) {
      const wanted = keys === null ? [...items.keys()] : typeof keys === 'string' ? [keys] : keys;
      const out: Record<string, unknown> = {};
      for (const k of wanted) if (items.has(k)) out[k] = structuredClone(items.get(k));
      return out;
    },
    async set(values) {
      if (Object.keys(values).some((k) => k.includes('\u0000'))) throw new Error('storage keys cannot contain NUL');
      for (const [k, v] of Object.entries(values)) items.set(k, structuredClone(v));
    },
    async remove(keys) {
      for (const k of typeof keys === 'string' ? [keys] : keys) items.delete(k);
    },
  };
}
