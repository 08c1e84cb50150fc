/**
 * The command-line client's Store: one SQLite file in its state folder (better-sqlite3, WAL,
 * synchronous=FULL), records as codec-encoded blobs. Node only.
 */
import Database from 'better-sqlite3';
import type { Store, StoredValue, StoreWriter } from '../src/protocol/storage/store.js';
import { decodeStoredValue, encodeStoredValue } from '../src/protocol/storage/value-codec.js';

export interface SqliteClientStore extends Store {
  close(): void;
}

export function openSqliteClientStore(path: string): SqliteClientStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  db.exec('CREATE TABLE IF NOT EXISTS records (tbl TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID');
  const get = db.prepare('SELECT value FROM records WHERE tbl = ? AND key = ?');
  const list = db.prepare('SELECT key, value FROM records WHERE tbl = ? AND key >= ? ORDER BY key');
  const put = db.prepare('INSERT INTO records (tbl, key, value) VALUES (?, ?, ?) ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value');
  const del = db.prepare('DELETE FROM records WHERE tbl = ? AND key = ?');
  const read = (bytes: Buffer) => decodeStoredValue(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return {
    async get<T extends StoredValue>(table: string, key: string) {
      const row = get.get(table, key) as { value: Buffer } | undefined;
      return row ? (read(row.value) as T) : undefined;
    },
    async list<T extends StoredValue>(table: string, prefix = '') {
      return (list.all(table, prefix) as { key: string; value: Buffer }[])
        .filter((r) => r.key.startsWith(prefix))
        .map((r) => ({ key: r.key, value: read(r.value) as T }));
    },
    async put(table, key, value) {
      put.run(table, key, encodeStoredValue(value));
    },
    async delete(table, key) {
      del.run(table, key);
    },
    async transaction(write) {
      const ops: (() => void)[] = [];
      const tx: StoreWriter = {
        put: (table, key, value) => {
          const bytes = encodeStoredValue(value);
          ops.push(() => put.run(table, key, bytes));
        },
        delete: (table, key) => ops.push(() => del.run(table, key)),
      };
      write(tx);
      db.transaction(() => ops.forEach((op) => op()))();
    },
    close() {
      db.close();
    },
  };
}
