/**
 * The PostgreSQL store's schema and its migrations. Runs in Node only (the local node).
 *
 * Guarantees: migrations are applied in version order, each in its own transaction together with
 * its row in `schema_migrations`, under a transaction-scoped advisory lock, so concurrent node
 * processes never apply one twice and a failing migration leaves no trace; applying them again is a
 * no-op; a database whose schema is newer than this code knows is refused.
 *
 * Every migration must have its own test in postgres-store.test.ts.
 */
import type pg from 'pg';

export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Advisory-lock namespace of this store ("XMTP"); the second key names what is locked. */
export const ADVISORY_LOCK_NAMESPACE = 0x584d5450;
export const MIGRATION_LOCK_KEY = 0;

/**
 * The same tables as the SQLite schema (and xmtp-node-go's): ids are BIGSERIAL (one global
 * sequence per table), bytes are BYTEA, timestamps are BIGINT nanoseconds since the epoch. CHECK
 * constraints hold the content rules (non-empty topics and payloads).
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE group_messages (
        id BIGSERIAL PRIMARY KEY,
        created_ns BIGINT NOT NULL,
        group_id BYTEA NOT NULL CHECK (octet_length(group_id) > 0),
        data BYTEA NOT NULL CHECK (octet_length(data) > 0),
        sender_hmac BYTEA NOT NULL,
        should_push BOOLEAN NOT NULL,
        is_commit BOOLEAN NOT NULL,
        group_id_data_hash BYTEA NOT NULL
      );
      CREATE UNIQUE INDEX group_messages_group_id_data_hash_idx ON group_messages (group_id_data_hash);
      CREATE INDEX group_messages_group_id_id_idx ON group_messages (group_id, id);

      CREATE TABLE welcome_messages (
        id BIGSERIAL PRIMARY KEY,
        created_ns BIGINT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('v1', 'pointer')),
        installation_key BYTEA NOT NULL CHECK (octet_length(installation_key) > 0),
        -- V1: the wrapped Welcome; pointer: the serialized WelcomePointer.
        data BYTEA NOT NULL CHECK (octet_length(data) > 0),
        hpke_public_key BYTEA NOT NULL,
        wrapper_algorithm INTEGER NOT NULL,
        -- V1 only; NULL for pointers.
        welcome_metadata BYTEA CHECK ((kind = 'v1') = (welcome_metadata IS NOT NULL)),
        installation_key_data_hash BYTEA NOT NULL
      );
      CREATE UNIQUE INDEX welcome_messages_installation_key_data_hash_idx ON welcome_messages (installation_key_data_hash);
      CREATE INDEX welcome_messages_installation_key_id_idx ON welcome_messages (installation_key, id);

      CREATE TABLE installations (
        installation_key BYTEA PRIMARY KEY CHECK (octet_length(installation_key) > 0),
        key_package BYTEA NOT NULL CHECK (octet_length(key_package) > 0),
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE inbox_log (
        sequence_id BIGSERIAL PRIMARY KEY,
        inbox_id TEXT NOT NULL CHECK (inbox_id <> ''),
        server_timestamp_ns BIGINT NOT NULL,
        identity_update BYTEA NOT NULL CHECK (octet_length(identity_update) > 0)
      );
      CREATE INDEX inbox_log_inbox_id_sequence_id_idx ON inbox_log (inbox_id, sequence_id);

      CREATE TABLE address_log (
        address TEXT NOT NULL CHECK (address <> ''),
        inbox_id TEXT NOT NULL,
        association_sequence_id BIGINT NOT NULL,
        revocation_sequence_id BIGINT
      );
      CREATE INDEX address_log_address_inbox_id_idx ON address_log (address, inbox_id, association_sequence_id);
      CREATE INDEX address_log_unrevoked_idx ON address_log (address, association_sequence_id)
        WHERE revocation_sequence_id IS NULL;

      CREATE TABLE commit_log (
        sequence_id BIGSERIAL PRIMARY KEY,
        created_ns BIGINT NOT NULL,
        group_id BYTEA NOT NULL CHECK (octet_length(group_id) > 0),
        serialized_entry BYTEA NOT NULL,
        signature BYTEA NOT NULL
      );
      CREATE INDEX commit_log_group_id_sequence_id_idx ON commit_log (group_id, sequence_id);
    `,
  },
];

export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

type Queryable = Pick<pg.ClientBase, 'query'>;

/** The highest applied version, 0 for a database without migrations. */
export async function postgresSchemaVersion(client: Queryable): Promise<number> {
  const table = await client.query<{ exists: string | null }>("SELECT to_regclass('schema_migrations')::text AS exists");
  if (table.rows[0]?.exists == null) return 0;
  const row = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
  return row.rows[0]?.version ?? 0;
}

/** Applies the pending migrations on one client; returns the versions it applied. */
export async function migratePostgres(client: pg.ClientBase, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const known = sorted.at(-1)?.version ?? 0;
  const applied: number[] = [];
  const inTransaction = async <T>(fn: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [ADVISORY_LOCK_NAMESPACE, MIGRATION_LOCK_KEY]);
      const result = await fn();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  };

  await inTransaction(async () => {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at_ns BIGINT NOT NULL
    )`);
    const current = await postgresSchemaVersion(client);
    if (current > known) {
      throw new Error(`the database's schema version ${current} is newer than this node supports (${known}); use a newer node`);
    }
  });
  for (const migration of sorted) {
    const done = await inTransaction(async () => {
      const existing = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (existing.rowCount) return true;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at_ns) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        BigInt(Date.now()) * 1_000_000n,
      ]);
      return false;
    });
    if (!done) applied.push(migration.version);
  }
  return applied;
}
