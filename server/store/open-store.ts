/**
 * Opens the store a `--db` value names: `postgres://…` / `postgresql://…` → PostgreSQL, anything
 * else → SQLite (a file path, or ':memory:'). Node only.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export async function openStore(db: string): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    // Loaded only when asked for, so a SQLite node never loads the PostgreSQL driver.
    const { createPostgresStore } = await import('./postgres-store.js');
    return createPostgresStore(db);
  }
  if (db !== ':memory:') mkdirSync(path.dirname(path.resolve(db)), { recursive: true });
  return createSqliteStore(db);
}
