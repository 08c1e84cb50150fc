/**
 * The PostgreSQL implementation of the node's Store (`pg`, one connection pool). Runs in Node only
 * (the local node).
 *
 * Guarantees, on top of the contract in store.ts: every write is one transaction, so batches are
 * atomic and an acknowledged write is committed; writes to a table are serialised, in call order,
 * by an in-process async mutex and, across node processes sharing the database, by a
 * transaction-scoped advisory lock per table, so a row with a smaller id always commits before one
 * with a larger id; int8 values are parsed to bigint, so ids and nanosecond timestamps are exact.
 * `close()` waits for the writes already accepted, then ends the pool.
 */
import pg from 'pg';
import { AsyncMutex } from './async-mutex.js';
import { ADVISORY_LOCK_NAMESPACE, migratePostgres } from './postgres-schema.js';
import {
  IdentityLogConflictError,
  InboxLogFullError,
  MAX_INBOX_LOG_ENTRIES,
  type CommitLogEntryInput,
  type IdentityUpdateRow,
  type NewGroupMessage,
  type NewWelcomeMessage,
  type PageQuery,
  type PublishIdentityUpdate,
  type Store,
  type StoredCommitLogEntry,
  type StoredGroupMessage,
  type StoredWelcomeMessage,
} from './store.js';
import {
  assertBytes,
  assertBytesArray,
  assertNonEmptyString,
  boundedSequenceId,
  checkCommitLogEntries,
  checkGroupMessages,
  checkWelcomeMessages,
  fromBuffer,
  hexKey,
  normaliseAddressChanges,
  normaliseAddresses,
  nowNs,
  planPage,
  sha256,
  StoreClosedError,
  toBuffer,
  welcomePayload,
  type PagePlan,
} from './store-internals.js';

const INT8_OID = 20;

/** int8 → bigint (pg's default is a string); everything else as pg parses it. */
function getTypeParser(oid: number, format: 'text' | 'binary' = 'text'): (value: string) => unknown {
  if (oid === INT8_OID && format === 'text') return (value: string) => BigInt(value);
  return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
}
const PG_TYPES = { getTypeParser } as pg.CustomTypesConfig;

const GROUP_MESSAGE_COLUMNS = 'id, created_ns, group_id, data, sender_hmac, should_push, is_commit';
const WELCOME_COLUMNS = 'id, created_ns, kind, installation_key, data, hpke_public_key, wrapper_algorithm, welcome_metadata';
const INBOX_LOG_COLUMNS = 'sequence_id, inbox_id, server_timestamp_ns, identity_update';
const COMMIT_LOG_COLUMNS = 'sequence_id, group_id, serialized_entry, signature';

/** Every statement the store runs (exported so the schema test can check each read uses an index). */
export const POSTGRES_QUERIES = {
  insertGroupMessage: `INSERT INTO group_messages (created_ns, group_id, data, sender_hmac, should_push, is_commit, group_id_data_hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (group_id_data_hash) DO NOTHING
    RETURNING ${GROUP_MESSAGE_COLUMNS}`,
  groupMessagesAsc: `SELECT ${GROUP_MESSAGE_COLUMNS} FROM group_messages
    WHERE group_id = $1 AND id > $2 ORDER BY id ASC LIMIT $3`,
  groupMessagesDescFrom: `SELECT ${GROUP_MESSAGE_COLUMNS} FROM group_messages
    WHERE group_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
  groupMessagesDescAll: `SELECT ${GROUP_MESSAGE_COLUMNS} FROM group_messages
    WHERE group_id = $1 ORDER BY id DESC LIMIT $2`,
  newestGroupMessages: `SELECT g.ord, m.* FROM unnest($1::bytea[]) WITH ORDINALITY AS g(group_id, ord)
    CROSS JOIN LATERAL (
      SELECT ${GROUP_MESSAGE_COLUMNS} FROM group_messages WHERE group_id = g.group_id ORDER BY id DESC LIMIT 1
    ) AS m`,

  insertWelcome: `INSERT INTO welcome_messages
      (created_ns, kind, installation_key, data, hpke_public_key, wrapper_algorithm, welcome_metadata, installation_key_data_hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (installation_key_data_hash) DO NOTHING
    RETURNING ${WELCOME_COLUMNS}`,
  welcomesAsc: `SELECT ${WELCOME_COLUMNS} FROM welcome_messages
    WHERE installation_key = $1 AND id > $2 ORDER BY id ASC LIMIT $3`,
  welcomesDescFrom: `SELECT ${WELCOME_COLUMNS} FROM welcome_messages
    WHERE installation_key = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
  welcomesDescAll: `SELECT ${WELCOME_COLUMNS} FROM welcome_messages
    WHERE installation_key = $1 ORDER BY id DESC LIMIT $2`,

  upsertInstallation: `INSERT INTO installations (installation_key, key_package, created_at, updated_at)
    VALUES ($1, $2, $3, $3)
    ON CONFLICT (installation_key) DO UPDATE SET key_package = excluded.key_package, updated_at = excluded.updated_at`,
  fetchKeyPackages: 'SELECT installation_key, key_package FROM installations WHERE installation_key = ANY ($1::bytea[])',

  inboxLogState: `SELECT COUNT(*) AS count, COALESCE(MAX(sequence_id), 0) AS last
    FROM inbox_log WHERE inbox_id = $1`,
  insertInboxLog: `INSERT INTO inbox_log (inbox_id, server_timestamp_ns, identity_update)
    VALUES ($1, $2, $3) RETURNING ${INBOX_LOG_COLUMNS}`,
  inboxLogAfter: `SELECT ${INBOX_LOG_COLUMNS} FROM inbox_log
    WHERE inbox_id = $1 AND sequence_id > $2 ORDER BY sequence_id ASC`,
  insertAddressLog: `INSERT INTO address_log (address, inbox_id, association_sequence_id, revocation_sequence_id)
    VALUES ($1, $2, $3, NULL)`,
  revokeAddressLog: `UPDATE address_log SET revocation_sequence_id = $3
    WHERE (address, inbox_id, association_sequence_id) = (
      SELECT address, inbox_id, MAX(association_sequence_id) FROM address_log
      WHERE address = $1 AND inbox_id = $2 GROUP BY address, inbox_id)`,
  inboxIdsByAddress: `SELECT a.ord, l.inbox_id FROM unnest($1::text[]) WITH ORDINALITY AS a(address, ord)
    CROSS JOIN LATERAL (
      SELECT inbox_id FROM address_log WHERE address = a.address AND revocation_sequence_id IS NULL
      ORDER BY association_sequence_id DESC LIMIT 1
    ) AS l`,

  insertCommitLog: `INSERT INTO commit_log (created_ns, group_id, serialized_entry, signature)
    VALUES ($1, $2, $3, $4) RETURNING ${COMMIT_LOG_COLUMNS}`,
  commitLogAsc: `SELECT ${COMMIT_LOG_COLUMNS} FROM commit_log
    WHERE group_id = $1 AND sequence_id > $2 ORDER BY sequence_id ASC LIMIT $3`,
  commitLogDescFrom: `SELECT ${COMMIT_LOG_COLUMNS} FROM commit_log
    WHERE group_id = $1 AND sequence_id < $2 ORDER BY sequence_id DESC LIMIT $3`,
  commitLogDescAll: `SELECT ${COMMIT_LOG_COLUMNS} FROM commit_log
    WHERE group_id = $1 ORDER BY sequence_id DESC LIMIT $2`,
} as const;

type QueryName = keyof typeof POSTGRES_QUERIES;
/** Runs one of the store's statements inside the current write transaction. */
type TransactionQuery = <R extends pg.QueryResultRow>(name: QueryName, values: unknown[]) => Promise<R[]>;

/** The tables whose writes are serialised, with their advisory-lock keys. */
const WRITE_LOCKS = {
  group_messages: 1,
  welcome_messages: 2,
  installations: 3,
  inbox_log: 4, // also covers address_log, written only with inbox_log
  commit_log: 5,
} as const;
type WriteTable = keyof typeof WRITE_LOCKS;

interface GroupMessageRow {
  id: bigint;
  created_ns: bigint;
  group_id: Buffer;
  data: Buffer;
  sender_hmac: Buffer;
  should_push: boolean;
  is_commit: boolean;
}

interface WelcomeRow {
  id: bigint;
  created_ns: bigint;
  kind: 'v1' | 'pointer';
  installation_key: Buffer;
  data: Buffer;
  hpke_public_key: Buffer;
  wrapper_algorithm: number;
  welcome_metadata: Buffer | null;
}

interface InboxLogRow {
  sequence_id: bigint;
  inbox_id: string;
  server_timestamp_ns: bigint;
  identity_update: Buffer;
}

interface CommitLogRow {
  sequence_id: bigint;
  group_id: Buffer;
  serialized_entry: Buffer;
  signature: Buffer;
}

/** Connects to `connectionString` (postgres://…), applies pending migrations and returns the store. */
export async function createPostgresStore(connectionString: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString, max: 10, types: PG_TYPES });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process. The next query on the pool reports the problem instead.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return new PostgresStore(pool);
}

class PostgresStore implements Store {
  private readonly mutexes = new Map<WriteTable, AsyncMutex>(
    (Object.keys(WRITE_LOCKS) as WriteTable[]).map((table) => [table, new AsyncMutex()]),
  );
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly pool: pg.Pool) {}

  private async read<R extends pg.QueryResultRow>(name: QueryName, values: unknown[]): Promise<R[]> {
    if (this.closed) throw new StoreClosedError();
    const result = await this.pool.query<R>({ name: `xmtp_${name}`, text: POSTGRES_QUERIES[name], values });
    return result.rows;
  }

  /**
   * Runs fn in one transaction on one client, after every earlier write to `table` (this process)
   * and under the table's advisory lock (every process).
   */
  private write<T>(table: WriteTable, fn: (q: TransactionQuery) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    const mutex = this.mutexes.get(table) as AsyncMutex;
    return mutex.run(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      // Set when the client cannot even roll back: it is discarded instead of reused.
      let broken: Error | undefined;
      try {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [ADVISORY_LOCK_NAMESPACE, WRITE_LOCKS[table]]);
        const result = await fn(async <R extends pg.QueryResultRow>(name: QueryName, values: unknown[]) => {
          const r = await client.query<R>({ name: `xmtp_${name}`, text: POSTGRES_QUERIES[name], values });
          return r.rows;
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    });
  }

  private page<R extends pg.QueryResultRow>(plan: PagePlan, topic: Uint8Array, names: [QueryName, QueryName, QueryName]): Promise<R[]> {
    const [asc, descFrom, descAll] = names;
    switch (plan.kind) {
      case 'empty':
        return this.closed ? Promise.reject(new StoreClosedError()) : Promise.resolve([]);
      case 'asc':
        return this.read<R>(asc, [toBuffer(topic), plan.cursor, plan.limit]);
      case 'desc-from':
        return this.read<R>(descFrom, [toBuffer(topic), plan.cursor, plan.limit]);
      case 'desc-all':
        return this.read<R>(descAll, [toBuffer(topic), plan.limit]);
    }
  }

  // ---- group messages ----

  async insertGroupMessages(messages: readonly NewGroupMessage[]): Promise<StoredGroupMessage[]> {
    checkGroupMessages(messages);
    return this.write('group_messages', async (q) => {
      const stored: StoredGroupMessage[] = [];
      for (const m of messages) {
        const rows = await q<GroupMessageRow>('insertGroupMessage', [
          nowNs(),
          toBuffer(m.groupId),
          toBuffer(m.data),
          toBuffer(m.senderHmac),
          m.shouldPush,
          m.isCommit,
          sha256(m.groupId, m.data),
        ]);
        if (rows[0]) stored.push(groupMessage(rows[0]));
      }
      return stored;
    });
  }

  async queryGroupMessages(groupId: Uint8Array, page: PageQuery): Promise<StoredGroupMessage[]> {
    assertBytes(groupId, 'groupId');
    const rows = await this.page<GroupMessageRow>(planPage(page), groupId, ['groupMessagesAsc', 'groupMessagesDescFrom', 'groupMessagesDescAll']);
    return rows.map(groupMessage);
  }

  async newestGroupMessages(groupIds: readonly Uint8Array[]): Promise<(StoredGroupMessage | undefined)[]> {
    assertBytesArray(groupIds, 'groupIds');
    const rows = await this.read<GroupMessageRow & { ord: bigint }>('newestGroupMessages', [groupIds.map(toBuffer)]);
    const result: (StoredGroupMessage | undefined)[] = groupIds.map(() => undefined);
    for (const row of rows) result[Number(row.ord) - 1] = groupMessage(row);
    return result;
  }

  // ---- welcomes ----

  async insertWelcomeMessages(messages: readonly NewWelcomeMessage[]): Promise<StoredWelcomeMessage[]> {
    checkWelcomeMessages(messages);
    return this.write('welcome_messages', async (q) => {
      const stored: StoredWelcomeMessage[] = [];
      for (const m of messages) {
        const payload = welcomePayload(m);
        const rows = await q<WelcomeRow>('insertWelcome', [
          nowNs(),
          m.kind,
          toBuffer(m.installationKey),
          toBuffer(payload),
          toBuffer(m.hpkePublicKey),
          m.wrapperAlgorithm,
          m.kind === 'v1' ? toBuffer(m.welcomeMetadata) : null,
          sha256(m.installationKey, payload),
        ]);
        if (rows[0]) stored.push(welcomeMessage(rows[0]));
      }
      return stored;
    });
  }

  async queryWelcomeMessages(installationKey: Uint8Array, page: PageQuery): Promise<StoredWelcomeMessage[]> {
    assertBytes(installationKey, 'installationKey');
    const rows = await this.page<WelcomeRow>(planPage(page), installationKey, ['welcomesAsc', 'welcomesDescFrom', 'welcomesDescAll']);
    return rows.map(welcomeMessage);
  }

  // ---- key packages ----

  async upsertKeyPackage(installationKey: Uint8Array, keyPackage: Uint8Array): Promise<void> {
    assertBytes(installationKey, 'installationKey');
    assertBytes(keyPackage, 'keyPackage');
    await this.write('installations', (q) => q('upsertInstallation', [toBuffer(installationKey), toBuffer(keyPackage), nowNs()]));
  }

  async fetchKeyPackages(installationKeys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    assertBytesArray(installationKeys, 'installationKeys');
    const rows = await this.read<{ installation_key: Buffer; key_package: Buffer }>('fetchKeyPackages', [installationKeys.map(toBuffer)]);
    const byKey = new Map(rows.map((row) => [row.installation_key.toString('hex'), row.key_package]));
    return installationKeys.map((key) => {
      const keyPackage = byKey.get(hexKey(key));
      return keyPackage ? fromBuffer(keyPackage) : undefined;
    });
  }

  // ---- identity ----

  async publishIdentityUpdate(input: PublishIdentityUpdate): Promise<IdentityUpdateRow> {
    assertNonEmptyString(input.inboxId, 'inboxId');
    assertBytes(input.update, 'update');
    const expected = boundedSequenceId(input.expectedLastSequenceId, 'expectedLastSequenceId');
    const changes = normaliseAddressChanges(input);
    return this.write('inbox_log', async (q) => {
      const [state] = await q<{ count: bigint; last: bigint }>('inboxLogState', [input.inboxId]);
      const count = state?.count ?? 0n;
      const last = state?.last ?? 0n;
      if (count >= BigInt(MAX_INBOX_LOG_ENTRIES)) {
        throw new InboxLogFullError(`inbox log is full: ${input.inboxId} already has ${count} updates`);
      }
      if (expected === undefined || last !== expected) {
        throw new IdentityLogConflictError(`inbox ${input.inboxId}: the log's last sequence id is ${last}, not ${input.expectedLastSequenceId}`);
      }
      const [row] = await q<InboxLogRow>('insertInboxLog', [input.inboxId, nowNs(), toBuffer(input.update)]);
      if (!row) throw new Error('inbox_log insert returned no row');
      for (const change of changes) {
        await q(change.change === 'added' ? 'insertAddressLog' : 'revokeAddressLog', [change.address, input.inboxId, row.sequence_id]);
      }
      return identityUpdate(row);
    });
  }

  async getIdentityUpdates(inboxId: string, afterSequenceId: bigint): Promise<IdentityUpdateRow[]> {
    assertNonEmptyString(inboxId, 'inboxId');
    const after = boundedSequenceId(afterSequenceId, 'afterSequenceId');
    if (this.closed) throw new StoreClosedError();
    if (after === undefined) return [];
    return (await this.read<InboxLogRow>('inboxLogAfter', [inboxId, after])).map(identityUpdate);
  }

  async getInboxIdsByAddress(addresses: readonly string[]): Promise<(string | undefined)[]> {
    const normalised = normaliseAddresses(addresses);
    const rows = await this.read<{ ord: bigint; inbox_id: string }>('inboxIdsByAddress', [normalised]);
    const result: (string | undefined)[] = normalised.map(() => undefined);
    for (const row of rows) result[Number(row.ord) - 1] = row.inbox_id;
    return result;
  }

  // ---- commit log ----

  async insertCommitLogEntries(entries: readonly CommitLogEntryInput[]): Promise<StoredCommitLogEntry[]> {
    checkCommitLogEntries(entries);
    return this.write('commit_log', async (q) => {
      const stored: StoredCommitLogEntry[] = [];
      for (const e of entries) {
        const [row] = await q<CommitLogRow>('insertCommitLog', [nowNs(), toBuffer(e.groupId), toBuffer(e.serializedEntry), toBuffer(e.signature)]);
        if (!row) throw new Error('commit_log insert returned no row');
        stored.push(commitLogEntry(row));
      }
      return stored;
    });
  }

  async queryCommitLog(groupId: Uint8Array, page: PageQuery): Promise<StoredCommitLogEntry[]> {
    assertBytes(groupId, 'groupId');
    const rows = await this.page<CommitLogRow>(planPage(page), groupId, ['commitLogAsc', 'commitLogDescFrom', 'commitLogDescAll']);
    return rows.map(commitLogEntry);
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = (async () => {
        await Promise.all([...this.mutexes.values()].map((m) => m.idle()));
        await this.pool.end();
      })();
    }
    return this.closing;
  }
}

function groupMessage(row: GroupMessageRow): StoredGroupMessage {
  return {
    id: row.id,
    createdNs: row.created_ns,
    groupId: fromBuffer(row.group_id),
    data: fromBuffer(row.data),
    senderHmac: fromBuffer(row.sender_hmac),
    shouldPush: row.should_push,
    isCommit: row.is_commit,
  };
}

function welcomeMessage(row: WelcomeRow): StoredWelcomeMessage {
  const common = {
    id: row.id,
    createdNs: row.created_ns,
    installationKey: fromBuffer(row.installation_key),
    hpkePublicKey: fromBuffer(row.hpke_public_key),
    wrapperAlgorithm: row.wrapper_algorithm,
  };
  return row.kind === 'v1'
    ? { kind: 'v1', ...common, data: fromBuffer(row.data), welcomeMetadata: fromBuffer(row.welcome_metadata ?? Buffer.alloc(0)) }
    : { kind: 'pointer', ...common, welcomePointer: fromBuffer(row.data) };
}

function identityUpdate(row: InboxLogRow): IdentityUpdateRow {
  return {
    sequenceId: row.sequence_id,
    inboxId: row.inbox_id,
    serverTimestampNs: row.server_timestamp_ns,
    update: fromBuffer(row.identity_update),
  };
}

function commitLogEntry(row: CommitLogRow): StoredCommitLogEntry {
  return {
    sequenceId: row.sequence_id,
    groupId: fromBuffer(row.group_id),
    serializedEntry: fromBuffer(row.serialized_entry),
    signature: fromBuffer(row.signature),
  };
}
