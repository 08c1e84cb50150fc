/**
 * The client's persistence contract: named tables of records keyed by strings. Pure types; the
 * implementations live where their medium is (in memory here; an encrypted IndexedDB store in the
 * extension's keystore; files for the command-line client).
 *
 * Guarantees every implementation gives: a `put` is durable once its promise settles; `transaction`
 * applies all of its writes or none; values come back equal to what was stored (Uint8Array, bigint,
 * plain objects, arrays, strings, numbers, booleans, null); `list` returns records in key order.
 */

/** What a record may hold. */
export type StoredValue =
  | string
  | number
  | boolean
  | null
  | bigint
  | Uint8Array
  | readonly StoredValue[]
  | { readonly [key: string]: StoredValue | undefined };

export interface StoreWriter {
  put(table: string, key: string, value: StoredValue): void;
  delete(table: string, key: string): void;
}

export interface Store {
  get<T extends StoredValue>(table: string, key: string): Promise<T | undefined>;
  /** Records whose key starts with `prefix` (all when omitted), in key order. */
  list<T extends StoredValue>(table: string, prefix?: string): Promise<{ key: string; value: T }[]>;
  put(table: string, key: string, value: StoredValue): Promise<void>;
  delete(table: string, key: string): Promise<void>;
  /** Runs `write` and commits everything it wrote at once (or nothing, if it throws). */
  transaction(write: (tx: StoreWriter) => void): Promise<void>;
}
