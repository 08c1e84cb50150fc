import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPostgres, type StartedPostgres } from '../test-support/postgres.js';
import { runTsxChild } from '../test-support/tsx-child.js';
import {
  migratePostgres,
  POSTGRES_MIGRATIONS,
  POSTGRES_SCHEMA_VERSION,
  postgresSchemaVersion,
  type PostgresMigration,
} from './postgres-schema.js';
import { createPostgresStore, POSTGRES_QUERIES } from './postgres-store.js';
import { crashChildSource, describeStoreContract, expectCrashChildWrites } from './store-contract.js';
import type { Store } from './store.js';

const SEQUENCES: [table: string, column: string][] = [
  ['group_messages', 'id'],
  ['welcome_messages', 'id'],
  ['inbox_log', 'sequence_id'],
  ['commit_log', 'sequence_id'],
];

let server: StartedPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describeStoreContract('postgres', async () => {
  const url = await server.createDatabase();
  const store = await createPostgresStore(url);
  return {
    store,
    reopen: () => createPostgresStore(url),
    setNextIds: (next) =>
      withClient(url, async (client) => {
        for (const [table, column] of SEQUENCES) {
          await client.query('SELECT setval(pg_get_serial_sequence($1, $2), $3)', [table, column, (next - 1n).toString()]);
        }
      }),
    cleanup: () => store.close(),
  };
});

describe('createPostgresStore', () => {
  test('error: opening fails when the server cannot be reached', async () => {
    await expect(createPostgresStore('postgresql://postgres@127.0.0.1:1/nothing')).rejects.toThrow();
  });

  test('behavior: writes acknowledged before the node process is killed (SIGKILL, no close) are kept', async () => {
    const url = await server.createDatabase();
    const run = runTsxChild<{ ids: string[] }>(crashChildSource(`await createPostgresStore(${JSON.stringify(url)})`, 'server/store/postgres-store.ts', 'createPostgresStore'));
    const { ids } = await run.ready;
    await run.kill();
    const store = await createPostgresStore(url);
    try {
      await expectCrashChildWrites(store, ids);
    } finally {
      await store.close();
    }
  });

  test('behavior: two stores on one database (two node processes) keep ids unique, in call order per store, visible in id order', async () => {
    const url = await server.createDatabase();
    const [s1, s2] = await Promise.all([createPostgresStore(url), createPostgresStore(url)]);
    try {
      // A race: without the cross-process lock a round shows an out-of-order commit most of the time.
      for (let round = 0; round < 3; round++) await raceTwoStores(s1, s2, new Uint8Array([7, 7, round]));
    } finally {
      await Promise.all([s1.close(), s2.close()]);
    }
  });
});

async function raceTwoStores(s1: Store, s2: Store, groupId: Uint8Array): Promise<void> {
  const message = (i: number) => ({ groupId, data: new Uint8Array([i, 1]), senderHmac: new Uint8Array(0), shouldPush: true, isCommit: false });
  const snapshots: bigint[][] = [];
  let running = true;
  const poller = (async () => {
    while (running) {
      const page = await s1.queryGroupMessages(groupId, { direction: 'asc', limit: 100, cursor: 0n });
      snapshots.push(page.map((m) => m.id));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  })();
  const calls = Array.from({ length: 80 }, (_, i) => (i % 2 ? s1 : s2).insertGroupMessages([message(i)]));
  const ids = (await Promise.all(calls)).map((r) => r[0]!.id);
  running = false;
  await poller;
  expect(new Set(ids).size).toBe(80);
  for (const parity of [0, 1]) {
    const own = ids.filter((_, i) => i % 2 === parity);
    expect(own).toEqual([...own].sort((a, b) => (a < b ? -1 : 1)));
  }
  const final = (await s1.queryGroupMessages(groupId, { direction: 'asc', limit: 100, cursor: 0n })).map((m) => m.id);
  expect(final).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
  for (const snapshot of snapshots) expect(snapshot).toEqual(final.slice(0, snapshot.length));
}

// ---------------------------------------------------------------------------------- migrations

/** One test per migration: what it must leave behind. Adding a migration without a test fails. */
const MIGRATION_TESTS: Record<number, (client: pg.Client) => Promise<void>> = {
  1: async (client) => {
    const columns = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY table_name, ordinal_position`,
    );
    const byTable: Record<string, string[]> = {};
    for (const c of columns.rows) (byTable[c.table_name] ??= []).push(`${c.column_name} ${c.data_type}${c.is_nullable === 'YES' ? ' null' : ''}`);
    expect(byTable).toEqual({
      address_log: ['address text', 'inbox_id text', 'association_sequence_id bigint', 'revocation_sequence_id bigint null'],
      commit_log: ['sequence_id bigint', 'created_ns bigint', 'group_id bytea', 'serialized_entry bytea', 'signature bytea'],
      group_messages: [
        'id bigint',
        'created_ns bigint',
        'group_id bytea',
        'data bytea',
        'sender_hmac bytea',
        'should_push boolean',
        'is_commit boolean',
        'group_id_data_hash bytea',
      ],
      inbox_log: ['sequence_id bigint', 'inbox_id text', 'server_timestamp_ns bigint', 'identity_update bytea'],
      installations: ['installation_key bytea', 'key_package bytea', 'created_at bigint', 'updated_at bigint'],
      welcome_messages: [
        'id bigint',
        'created_ns bigint',
        'kind text',
        'installation_key bytea',
        'data bytea',
        'hpke_public_key bytea',
        'wrapper_algorithm integer',
        'welcome_metadata bytea null',
        'installation_key_data_hash bytea',
      ],
    });
    const indexes = await client.query<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY indexname",
    );
    const defs = indexes.rows.map((r) => r.indexdef.replace(/ USING btree/, '').replace(/ ON public\./, ' ON '));
    expect(defs).toEqual([
      'CREATE INDEX address_log_address_inbox_id_idx ON address_log (address, inbox_id, association_sequence_id)',
      'CREATE INDEX address_log_unrevoked_idx ON address_log (address, association_sequence_id) WHERE (revocation_sequence_id IS NULL)',
      'CREATE INDEX commit_log_group_id_sequence_id_idx ON commit_log (group_id, sequence_id)',
      'CREATE UNIQUE INDEX commit_log_pkey ON commit_log (sequence_id)',
      'CREATE UNIQUE INDEX group_messages_group_id_data_hash_idx ON group_messages (group_id_data_hash)',
      'CREATE INDEX group_messages_group_id_id_idx ON group_messages (group_id, id)',
      'CREATE UNIQUE INDEX group_messages_pkey ON group_messages (id)',
      'CREATE INDEX inbox_log_inbox_id_sequence_id_idx ON inbox_log (inbox_id, sequence_id)',
      'CREATE UNIQUE INDEX inbox_log_pkey ON inbox_log (sequence_id)',
      'CREATE UNIQUE INDEX installations_pkey ON installations (installation_key)',
      'CREATE UNIQUE INDEX welcome_messages_installation_key_data_hash_idx ON welcome_messages (installation_key_data_hash)',
      'CREATE INDEX welcome_messages_installation_key_id_idx ON welcome_messages (installation_key, id)',
      'CREATE UNIQUE INDEX welcome_messages_pkey ON welcome_messages (id)',
    ]);
    // The content rules are the database's own: it rejects an empty group id.
    await expect(
      client.query("INSERT INTO group_messages (created_ns, group_id, data, sender_hmac, should_push, is_commit, group_id_data_hash) VALUES (1, '', 'x', '', true, false, 'h')"),
    ).rejects.toThrow(/check constraint/);
    await expect(
      client.query("INSERT INTO welcome_messages (created_ns, kind, installation_key, data, hpke_public_key, wrapper_algorithm, welcome_metadata, installation_key_data_hash) VALUES (1, 'pointer', 'k', 'x', '', 2, 'm', 'h')"),
    ).rejects.toThrow(/check constraint/);
  },
};

describe('postgres migrations', () => {
  test('default: every migration has its own test', () => {
    expect(Object.keys(MIGRATION_TESTS).map(Number)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
  });

  for (const migration of POSTGRES_MIGRATIONS) {
    test(`default: migration ${migration.version} (${migration.name})`, async () => {
      const url = await server.createDatabase();
      await withClient(url, async (client) => {
        const before = POSTGRES_MIGRATIONS.filter((m) => m.version < migration.version);
        await migratePostgres(client, before);
        expect(await migratePostgres(client, [...before, migration])).toEqual([migration.version]);
        expect(await postgresSchemaVersion(client)).toBe(migration.version);
        await MIGRATION_TESTS[migration.version]!(client);
      });
    });
  }

  test('default: a new database is migrated to the latest version; migrating again is a no-op', async () => {
    const url = await server.createDatabase();
    await withClient(url, async (client) => {
      expect(await postgresSchemaVersion(client)).toBe(0);
      expect(await migratePostgres(client)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      expect(await migratePostgres(client)).toEqual([]);
      expect(await postgresSchemaVersion(client)).toBe(POSTGRES_SCHEMA_VERSION);
      const rows = await client.query('SELECT version, name FROM schema_migrations ORDER BY version');
      expect(rows.rows).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    });
  });

  test('behavior: pending migrations run in order on an existing database and keep its rows', async () => {
    const url = await server.createDatabase();
    const extra: PostgresMigration = { version: POSTGRES_SCHEMA_VERSION + 1, name: 'test: add a column', sql: 'ALTER TABLE installations ADD COLUMN note TEXT' };
    await withClient(url, async (client) => {
      await migratePostgres(client);
      await client.query("INSERT INTO installations VALUES ('\\x01', '\\x02', 1, 1)");
      expect(await migratePostgres(client, [extra, ...POSTGRES_MIGRATIONS])).toEqual([extra.version]);
      const rows = await client.query('SELECT key_package, note FROM installations');
      expect(rows.rows).toEqual([{ key_package: Buffer.from([2]), note: null }]);
    });
  });

  test('error: a failing migration is rolled back entirely and the version stays', async () => {
    const url = await server.createDatabase();
    const failing: PostgresMigration = {
      version: POSTGRES_SCHEMA_VERSION + 1,
      name: 'test: fails halfway',
      sql: 'CREATE TABLE half_done (x INT); SELECT no_such_function();',
    };
    await withClient(url, async (client) => {
      await migratePostgres(client);
      await expect(migratePostgres(client, [...POSTGRES_MIGRATIONS, failing])).rejects.toThrow(/no_such_function/);
      expect(await postgresSchemaVersion(client)).toBe(POSTGRES_SCHEMA_VERSION);
      const table = await client.query("SELECT to_regclass('half_done') AS t");
      expect(table.rows[0].t).toBeNull();
    });
  });

  test('error: a database from a newer schema version is refused', async () => {
    const url = await server.createDatabase();
    await withClient(url, async (client) => {
      await migratePostgres(client);
      await client.query("INSERT INTO schema_migrations VALUES ($1, 'from the future', 0)", [POSTGRES_SCHEMA_VERSION + 1]);
    });
    await expect(createPostgresStore(url)).rejects.toThrow(/newer than this node supports/);
  });

  test('behavior: concurrent stores migrate one database once', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([createPostgresStore(url), createPostgresStore(url), createPostgresStore(url)]);
    await Promise.all(stores.map((s) => s.close()));
    await withClient(url, async (client) => {
      const rows = await client.query('SELECT COUNT(*)::int AS n FROM schema_migrations');
      expect(rows.rows[0].n).toBe(POSTGRES_MIGRATIONS.length);
    });
  });

  test('behavior: every read query uses an index (no sequential scan)', async () => {
    const url = await server.createDatabase();
    await withClient(url, async (client) => {
      await migratePostgres(client);
      await client.query('SET enable_seqscan = off');
      const topic = Buffer.from([1]);
      const samples: Partial<Record<keyof typeof POSTGRES_QUERIES, unknown[]>> = {
        groupMessagesAsc: [topic, 1, 10],
        groupMessagesDescFrom: [topic, 1, 10],
        groupMessagesDescAll: [topic, 10],
        newestGroupMessages: [[topic]],
        welcomesAsc: [topic, 1, 10],
        welcomesDescFrom: [topic, 1, 10],
        welcomesDescAll: [topic, 10],
        fetchKeyPackages: [[topic]],
        inboxLogState: ['ab'],
        inboxLogAfter: ['ab', 1],
        inboxIdsByAddress: [['0xab']],
        commitLogAsc: [topic, 1, 10],
        commitLogDescFrom: [topic, 1, 10],
        commitLogDescAll: [topic, 10],
        revokeAddressLog: ['0xab', 'ab', 1],
      };
      const reads = (Object.keys(POSTGRES_QUERIES) as (keyof typeof POSTGRES_QUERIES)[]).filter((name) => !/^(insert|upsert)/.test(name));
      expect(reads.filter((name) => !samples[name])).toEqual([]);
      for (const name of reads) {
        const plan = await client.query(`EXPLAIN ${POSTGRES_QUERIES[name]}`, samples[name]);
        const text = plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
        expect(text, name).not.toMatch(/Seq Scan on (group_messages|welcome_messages|installations|inbox_log|address_log|commit_log)/);
        expect(text, name).toMatch(/Index/);
      }
    });
  });
});
