import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { runTsxChild } from '../test-support/tsx-child.js';
import { createSqliteStore, openSqliteDatabase } from './sqlite-store.js';
import { crashChildSource, describeStoreContract, expectCrashChildWrites } from './store-contract.js';

const SEQUENCED_TABLES = ['group_messages', 'welcome_messages', 'inbox_log', 'commit_log'];

describeStoreContract('sqlite in memory', async () => {
  const store = createSqliteStore(':memory:');
  return { store, cleanup: () => store.close() };
});

describeStoreContract('sqlite file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xmtp-sqlite-'));
  const file = path.join(dir, 'node.db');
  const store = createSqliteStore(file);
  return {
    store,
    reopen: async () => createSqliteStore(file),
    setNextIds: async (next) => {
      // A second connection (WAL allows it): AUTOINCREMENT hands out max(seq, max id) + 1.
      const db = new Database(file);
      try {
        db.transaction(() => {
          for (const table of SEQUENCED_TABLES) {
            db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(table);
            db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, next - 1n);
          }
        }).immediate();
      } finally {
        db.close();
      }
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('createSqliteStore', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  test('default: a file database runs in WAL mode with synchronous=FULL and bigint integers', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'xmtp-sqlite-'));
    dirs.push(dir);
    const db = openSqliteDatabase(path.join(dir, 'node.db'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2n); // 2 = FULL
      expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1n });
    } finally {
      db.close();
    }
  });

  test('default: an in-memory database also syncs FULL and is migrated', () => {
    const db = openSqliteDatabase(':memory:');
    try {
      expect(db.pragma('synchronous', { simple: true })).toBe(2n);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'group_messages'").get()).toEqual({ name: 'group_messages' });
    } finally {
      db.close();
    }
  });

  test('behavior: writes acknowledged before the node process is killed (SIGKILL, no close) are kept', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'xmtp-sqlite-'));
    dirs.push(dir);
    const file = path.join(dir, 'node.db');
    const run = runTsxChild<{ ids: string[] }>(crashChildSource(`createSqliteStore(${JSON.stringify(file)})`, 'server/store/sqlite-store.ts', 'createSqliteStore'));
    const { ids } = await run.ready;
    await run.kill();
    const store = createSqliteStore(file);
    try {
      await expectCrashChildWrites(store, ids);
    } finally {
      await store.close();
    }
  });

  test('error: a path that cannot be opened fails clearly', () => {
    expect(() => createSqliteStore('/nonexistent-dir/for/sure/node.db')).toThrow();
  });
});
