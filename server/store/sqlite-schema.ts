/**
 * The SQLite store's schema and its migrations. Runs in Node only (the local node).
 *
 * Guarantees: migrations are applied in version order, each in its own IMMEDIATE transaction
 * together with its row in `schema_migrations`, so a failing migration leaves no trace and the
 * version unchanged; applying them again is a no-op; a database whose schema is newer than this code
 * knows is refused instead of being written to.
 *
 * Every migration must have its own test in sqlite-schema.test.ts.
 */
import type Database from 'better-sqlite3';

export interface SqliteMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Ids are INTEGER PRIMARY KEY AUTOINCREMENT: one increasing sequence per table that never reuses
 * an id. Bytes are BLOBs; timestamps are nanoseconds since the epoch. CHECK constraints hold the
 * content rules (non-empty topics and payloads), so the database itself rejects a bad row.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE group_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_ns INTEGER NOT NULL,
        group_id BLOB NOT NULL CHECK (length(group_id) > 0),
        data BLOB NOT NULL CHECK (length(data) > 0),
        sender_hmac BLOB NOT NULL,
        should_push INTEGER NOT NULL CHECK (should_push IN (0, 1)),
        is_commit INTEGER NOT NULL CHECK (is_commit IN (0, 1)),
        group_id_data_hash BLOB NOT NULL
      );
      CREATE UNIQUE INDEX group_messages_group_id_data_hash_idx ON group_messages (group_id_data_hash);
      CREATE INDEX group_messages_group_id_id_idx ON group_messages (group_id, id);

      CREATE TABLE welcome_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_ns INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('v1', 'pointer')),
        installation_key BLOB NOT NULL CHECK (length(installation_key) > 0),
        -- V1: the wrapped Welcome; pointer: the serialized WelcomePointer.
        data BLOB NOT NULL CHECK (length(data) > 0),
        hpke_public_key BLOB NOT NULL,
        wrapper_algorithm INTEGER NOT NULL CHECK (wrapper_algorithm BETWEEN -2147483648 AND 2147483647),
        -- V1 only; NULL for pointers.
        welcome_metadata BLOB CHECK ((kind = 'v1') = (welcome_metadata IS NOT NULL)),
        installation_key_data_hash BLOB NOT NULL
      );
      CREATE UNIQUE INDEX welcome_messages_installation_key_data_hash_idx ON welcome_messages (installation_key_data_hash);
      CREATE INDEX welcome_messages_installation_key_id_idx ON welcome_messages (installation_key, id);

      CREATE TABLE installations (
        installation_key BLOB PRIMARY KEY CHECK (length(installation_key) > 0),
        key_package BLOB NOT NULL CHECK (length(key_package) > 0),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE inbox_log (
        sequence_id INTEGER PRIMARY KEY AUTOINCREMENT,
        inbox_id TEXT NOT NULL CHECK (length(inbox_id) > 0),
        server_timestamp_ns INTEGER NOT NULL,
        identity_update BLOB NOT NULL CHECK (length(identity_update) > 0)
      );
      CREATE INDEX inbox_log_inbox_id_sequence_id_idx ON inbox_log (inbox_id, sequence_id);

      CREATE TABLE address_log (
        address TEXT NOT NULL CHECK (length(address) > 0),
        inbox_id TEXT NOT NULL,
        association_sequence_id INTEGER NOT NULL,
        revocation_sequence_id INTEGER
      );
      CREATE INDEX address_log_address_inbox_id_idx ON address_log (address, inbox_id, association_sequence_id);
      CREATE INDEX address_log_unrevoked_idx ON address_log (address, association_sequence_id)
        WHERE revocation_sequence_id IS NULL;

      CREATE TABLE commit_log (
        sequence_id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_ns INTEGER NOT NULL,
        group_id BLOB NOT NULL CHECK (length(group_id) > 0),
        serialized_entry BLOB NOT NULL,
        signature BLOB NOT NULL
      );
      CREATE INDEX commit_log_group_id_sequence_id_idx ON commit_log (group_id, sequence_id);
    `,
  },
];

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** The highest applied version, 0 for a database without migrations. */
export function sqliteSchemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | bigint | null };
  return row.version === null ? 0 : Number(row.version);
}

/** Applies the pending migrations; returns the versions it applied. */
export function migrateSqlite(db: Database.Database, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): number[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const known = sorted.at(-1)?.version ?? 0;
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at_ns INTEGER NOT NULL
  )`);
  const current = sqliteSchemaVersion(db);
  if (current > known) {
    throw new Error(`the database's schema version ${current} is newer than this node supports (${known}); use a newer node`);
  }
  const applied: number[] = [];
  for (const migration of sorted) {
    const apply = db.transaction(() => {
      // Re-read inside the write lock: another process may have applied it meanwhile.
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (done) return false;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ns) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        BigInt(Date.now()) * 1_000_000n,
      );
      return true;
    });
    if (apply.immediate()) applied.push(migration.version);
  }
  return applied;
}
