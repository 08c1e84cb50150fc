import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { migrateSqlite, SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, sqliteSchemaVersion, type SqliteMigration } from './sqlite-schema.js';
import { createSqliteStore, SQLITE_QUERIES } from './sqlite-store.js';

const opened: Database.Database[] = [];
function memoryDb(): Database.Database {
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  opened.push(db);
  return db;
}
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?) ORDER BY cid`).all(table) as { name: string; type: string; nn: bigint; pk: bigint }[]).map(
    (c) => `${c.name} ${c.type}${c.pk ? ' pk' : c.nn ? '' : ' null'}`,
  );
}

/** One test per migration: what it must leave behind. Adding a migration without a test fails. */
const MIGRATION_TESTS: Record<number, (db: Database.Database) => void> = {
  1: (db) => {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(['address_log', 'commit_log', 'group_messages', 'inbox_log', 'installations', 'schema_migrations', 'welcome_messages']);
    expect(columns(db, 'group_messages')).toEqual([
      'id INTEGER pk',
      'created_ns INTEGER',
      'group_id BLOB',
      'data BLOB',
      'sender_hmac BLOB',
      'should_push INTEGER',
      'is_commit INTEGER',
      'group_id_data_hash BLOB',
    ]);
    expect(columns(db, 'welcome_messages')).toEqual([
      'id INTEGER pk',
      'created_ns INTEGER',
      'kind TEXT',
      'installation_key BLOB',
      'data BLOB',
      'hpke_public_key BLOB',
      'wrapper_algorithm INTEGER',
      'welcome_metadata BLOB null',
      'installation_key_data_hash BLOB',
    ]);
    expect(columns(db, 'installations')).toEqual(['installation_key BLOB pk', 'key_package BLOB', 'created_at INTEGER', 'updated_at INTEGER']);
    expect(columns(db, 'inbox_log')).toEqual(['sequence_id INTEGER pk', 'inbox_id TEXT', 'server_timestamp_ns INTEGER', 'identity_update BLOB']);
    expect(columns(db, 'address_log')).toEqual(['address TEXT', 'inbox_id TEXT', 'association_sequence_id INTEGER', 'revocation_sequence_id INTEGER null']);
    expect(columns(db, 'commit_log')).toEqual(['sequence_id INTEGER pk', 'created_ns INTEGER', 'group_id BLOB', 'serialized_entry BLOB', 'signature BLOB']);

    const indexes = db
      .prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
      .all() as { name: string; tbl_name: string; sql: string }[];
    expect(indexes.map((i) => i.sql.replace(/\s+/g, ' '))).toEqual([
      'CREATE INDEX address_log_address_inbox_id_idx ON address_log (address, inbox_id, association_sequence_id)',
      'CREATE INDEX address_log_unrevoked_idx ON address_log (address, association_sequence_id) WHERE revocation_sequence_id IS NULL',
      'CREATE INDEX commit_log_group_id_sequence_id_idx ON commit_log (group_id, sequence_id)',
      'CREATE UNIQUE INDEX group_messages_group_id_data_hash_idx ON group_messages (group_id_data_hash)',
      'CREATE INDEX group_messages_group_id_id_idx ON group_messages (group_id, id)',
      'CREATE INDEX inbox_log_inbox_id_sequence_id_idx ON inbox_log (inbox_id, sequence_id)',
      'CREATE UNIQUE INDEX welcome_messages_installation_key_data_hash_idx ON welcome_messages (installation_key_data_hash)',
      'CREATE INDEX welcome_messages_installation_key_id_idx ON welcome_messages (installation_key, id)',
    ]);
    // Ids are AUTOINCREMENT: never reused, even after the newest row is deleted.
    const sequenced = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(sequenced).toEqual(['commit_log', 'group_messages', 'inbox_log', 'welcome_messages']);
    // The content rules are the database's own.
    expect(() =>
      db.prepare("INSERT INTO group_messages (created_ns, group_id, data, sender_hmac, should_push, is_commit, group_id_data_hash) VALUES (1, x'', x'01', x'', 1, 0, x'02')").run(),
    ).toThrow(/CHECK constraint/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO welcome_messages (created_ns, kind, installation_key, data, hpke_public_key, wrapper_algorithm, welcome_metadata, installation_key_data_hash) VALUES (1, 'pointer', x'01', x'01', x'', 2, x'01', x'02')",
        )
        .run(),
    ).toThrow(/CHECK constraint/);
  },
};

describe('sqlite migrations', () => {
  test('default: every migration has its own test', () => {
    expect(Object.keys(MIGRATION_TESTS).map(Number)).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
  });

  for (const migration of SQLITE_MIGRATIONS) {
    test(`default: migration ${migration.version} (${migration.name})`, () => {
      const db = memoryDb();
      const before = SQLITE_MIGRATIONS.filter((m) => m.version < migration.version);
      migrateSqlite(db, before);
      expect(migrateSqlite(db, [...before, migration])).toEqual([migration.version]);
      expect(sqliteSchemaVersion(db)).toBe(migration.version);
      MIGRATION_TESTS[migration.version]!(db);
    });
  }

  test('default: a new database is migrated to the latest version; migrating again is a no-op', () => {
    const db = memoryDb();
    expect(sqliteSchemaVersion(db)).toBe(0);
    expect(migrateSqlite(db)).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
    expect(migrateSqlite(db)).toEqual([]);
    expect(sqliteSchemaVersion(db)).toBe(SQLITE_SCHEMA_VERSION);
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: BigInt(m.version), name: m.name })));
  });

  test('behavior: pending migrations run in order on an existing database and keep its rows', () => {
    const db = memoryDb();
    migrateSqlite(db);
    db.prepare("INSERT INTO installations VALUES (x'01', x'02', 1, 1)").run();
    const extra: SqliteMigration[] = [
      { version: SQLITE_SCHEMA_VERSION + 2, name: 'test: fill the column', sql: "UPDATE installations SET note = 'filled'" },
      { version: SQLITE_SCHEMA_VERSION + 1, name: 'test: add a column', sql: 'ALTER TABLE installations ADD COLUMN note TEXT' },
    ];
    expect(migrateSqlite(db, [...SQLITE_MIGRATIONS, ...extra])).toEqual([SQLITE_SCHEMA_VERSION + 1, SQLITE_SCHEMA_VERSION + 2]);
    expect(db.prepare('SELECT key_package, note FROM installations').all()).toEqual([{ key_package: Buffer.from([2]), note: 'filled' }]);
  });

  test('error: a failing migration is rolled back entirely and the version stays', () => {
    const db = memoryDb();
    migrateSqlite(db);
    const failing: SqliteMigration = {
      version: SQLITE_SCHEMA_VERSION + 1,
      name: 'test: fails halfway',
      sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);',
    };
    expect(() => migrateSqlite(db, [...SQLITE_MIGRATIONS, failing])).toThrow(/no_such_table/);
    expect(sqliteSchemaVersion(db)).toBe(SQLITE_SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
  });

  test('error: a database from a newer schema version is refused', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'xmtp-sqlite-'));
    try {
      const file = path.join(dir, 'node.db');
      const db = new Database(file);
      migrateSqlite(db);
      db.prepare("INSERT INTO schema_migrations VALUES (?, 'from the future', 0)").run(SQLITE_SCHEMA_VERSION + 1);
      db.close();
      expect(() => createSqliteStore(file)).toThrow(/newer than this node supports/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('behavior: every read query uses an index (no full table scan)', () => {
    const db = memoryDb();
    migrateSqlite(db);
    const reads = (Object.keys(SQLITE_QUERIES) as (keyof typeof SQLITE_QUERIES)[]).filter((name) => !/^insert|^upsert/.test(name));
    expect(reads.length).toBeGreaterThan(10);
    for (const name of reads) {
      const sql = SQLITE_QUERIES[name];
      const params = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], 1]));
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
      for (const step of plan) {
        if (/^SCAN /.test(step)) throw new Error(`${name} scans a table: ${plan.join(' | ')}`);
      }
      expect(plan.some((step) => /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|USING PRIMARY KEY/.test(step)), `${name}: ${plan.join(' | ')}`).toBe(true);
    }
  });
});
