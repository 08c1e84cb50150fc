/**
 * The embedded SQLite implementation of the node's Store (better-sqlite3). Runs in Node only (the
 * local node).
 *
 * Guarantees, on top of the contract in store.ts: a file database runs in WAL mode with
 * synchronous=FULL, so every acknowledged write is on disk; every write is one IMMEDIATE
 * transaction, so batches are atomic and writers (even other processes) are serialised, which makes
 * ids visible in id order; integers are read as bigint (safeIntegers), so ids and nanosecond
 * timestamps are exact. The async methods wrap synchronous calls: a write has committed when its
 * promise settles.
 */
import Database from 'better-sqlite3';
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
import { migrateSqlite } from './sqlite-schema.js';
import {
  assertBytesArray,
  assertBytes,
  assertNonEmptyString,
  boundedSequenceId,
  checkCommitLogEntries,
  checkGroupMessages,
  checkWelcomeMessages,
  fromBuffer,
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

const GROUP_MESSAGE_COLUMNS = 'id, created_ns, group_id, data, sender_hmac, should_push, is_commit';
const WELCOME_COLUMNS = 'id, created_ns, kind, installation_key, data, hpke_public_key, wrapper_algorithm, welcome_metadata';
const INBOX_LOG_COLUMNS = 'sequence_id, inbox_id, server_timestamp_ns, identity_update';
const COMMIT_LOG_COLUMNS = 'sequence_id, group_id, serialized_entry, signature';

/** Every statement the store runs (exported so the schema test can check each read uses an index). */
export const SQLITE_QUERIES = {
  insertGroupMessage: `INSERT INTO group_messages (created_ns, group_id, data, sender_hmac, should_push, is_commit, group_id_data_hash)
    VALUES (@createdNs, @groupId, @data, @senderHmac, @shouldPush, @isCommit, @hash)
    ON CONFLICT (group_id_data_hash) DO NOTHING
    RETURNING ${GROUP_MESSAGE_COLUMNS}`,
  groupMessagesAsc: `SELECT ${GROUP_MESSAGE_COLUMNS} FROM group_messages
    WHERE group_id = @topic AND id > @cursor ORDER BY id ASC LIMIT @limit`,
  groupMessagesDescFrom: `SELECT ${GROUP_MESSAGE_COLUMNS} FROM group_messages
    WHERE group_id = @topic AND id < @cursor ORDER BY id DESC LIMIT @limit`,
  groupMessagesDescAll: `SELECT ${GROUP_MESSAGE_COLUMNS} FROM group_messages
    WHERE group_id = @topic ORDER BY id DESC LIMIT @limit`,

  insertWelcome: `INSERT INTO welcome_messages
      (created_ns, kind, installation_key, data, hpke_public_key, wrapper_algorithm, welcome_metadata, installation_key_data_hash)
    VALUES (@createdNs, @kind, @installationKey, @data, @hpkePublicKey, @wrapperAlgorithm, @welcomeMetadata, @hash)
    ON CONFLICT (installation_key_data_hash) DO NOTHING
    RETURNING ${WELCOME_COLUMNS}`,
  welcomesAsc: `SELECT ${WELCOME_COLUMNS} FROM welcome_messages
    WHERE installation_key = @topic AND id > @cursor ORDER BY id ASC LIMIT @limit`,
  welcomesDescFrom: `SELECT ${WELCOME_COLUMNS} FROM welcome_messages
    WHERE installation_key = @topic AND id < @cursor ORDER BY id DESC LIMIT @limit`,
  welcomesDescAll: `SELECT ${WELCOME_COLUMNS} FROM welcome_messages
    WHERE installation_key = @topic ORDER BY id DESC LIMIT @limit`,

  upsertInstallation: `INSERT INTO installations (installation_key, key_package, created_at, updated_at)
    VALUES (@installationKey, @keyPackage, @now, @now)
    ON CONFLICT (installation_key) DO UPDATE SET key_package = excluded.key_package, updated_at = excluded.updated_at`,
  fetchKeyPackage: 'SELECT key_package FROM installations WHERE installation_key = @installationKey',

  inboxLogState: `SELECT COUNT(*) AS count, COALESCE(MAX(sequence_id), 0) AS last
    FROM inbox_log WHERE inbox_id = @inboxId`,
  insertInboxLog: `INSERT INTO inbox_log (inbox_id, server_timestamp_ns, identity_update)
    VALUES (@inboxId, @now, @update) RETURNING ${INBOX_LOG_COLUMNS}`,
  inboxLogAfter: `SELECT ${INBOX_LOG_COLUMNS} FROM inbox_log
    WHERE inbox_id = @inboxId AND sequence_id > @after ORDER BY sequence_id ASC`,
  insertAddressLog: `INSERT INTO address_log (address, inbox_id, association_sequence_id, revocation_sequence_id)
    VALUES (@address, @inboxId, @sequenceId, NULL)`,
  revokeAddressLog: `UPDATE address_log SET revocation_sequence_id = @sequenceId
    WHERE rowid = (SELECT rowid FROM address_log WHERE address = @address AND inbox_id = @inboxId
                   ORDER BY association_sequence_id DESC LIMIT 1)`,
  inboxIdByAddress: `SELECT inbox_id FROM address_log
    WHERE address = @address AND revocation_sequence_id IS NULL
    ORDER BY association_sequence_id DESC LIMIT 1`,

  insertCommitLog: `INSERT INTO commit_log (created_ns, group_id, serialized_entry, signature)
    VALUES (@createdNs, @groupId, @serializedEntry, @signature) RETURNING ${COMMIT_LOG_COLUMNS}`,
  commitLogAsc: `SELECT ${COMMIT_LOG_COLUMNS} FROM commit_log
    WHERE group_id = @topic AND sequence_id > @cursor ORDER BY sequence_id ASC LIMIT @limit`,
  commitLogDescFrom: `SELECT ${COMMIT_LOG_COLUMNS} FROM commit_log
    WHERE group_id = @topic AND sequence_id < @cursor ORDER BY sequence_id DESC LIMIT @limit`,
  commitLogDescAll: `SELECT ${COMMIT_LOG_COLUMNS} FROM commit_log
    WHERE group_id = @topic ORDER BY sequence_id DESC LIMIT @limit`,
} as const;

type QueryName = keyof typeof SQLITE_QUERIES;

interface GroupMessageRow {
  id: bigint;
  created_ns: bigint;
  group_id: Buffer;
  data: Buffer;
  sender_hmac: Buffer;
  should_push: bigint;
  is_commit: bigint;
}

interface WelcomeRow {
  id: bigint;
  created_ns: bigint;
  kind: 'v1' | 'pointer';
  installation_key: Buffer;
  data: Buffer;
  hpke_public_key: Buffer;
  wrapper_algorithm: bigint;
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

/** Opens (creating and migrating if needed) a SQLite store at `path`, a file or ':memory:'. */
export function createSqliteStore(path: string): Store {
  return new SqliteStore(openSqliteDatabase(path));
}

/**
 * Opens the database the way the store uses it: integers as bigint, WAL + synchronous=FULL for a
 * file, a busy timeout for other processes' writes, migrated to the latest schema.
 */
export function openSqliteDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    db.defaultSafeIntegers(true);
    if (path !== ':memory:' && path !== '') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 10000');
    migrateSqlite(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

class SqliteStore implements Store {
  private readonly statements = new Map<QueryName, Database.Statement>();
  private closed = false;

  constructor(private readonly db: Database.Database) {}

  private stmt(name: QueryName): Database.Statement {
    if (this.closed) throw new StoreClosedError();
    let statement = this.statements.get(name);
    if (!statement) {
      statement = this.db.prepare(SQLITE_QUERIES[name]);
      this.statements.set(name, statement);
    }
    return statement;
  }

  /** Runs fn in one IMMEDIATE transaction (rolled back if it throws). */
  private write<T>(fn: () => T): T {
    if (this.closed) throw new StoreClosedError();
    return this.db.transaction(fn).immediate();
  }

  private page<R>(plan: PagePlan, topic: Uint8Array, names: [QueryName, QueryName, QueryName]): R[] {
    const [asc, descFrom, descAll] = names;
    switch (plan.kind) {
      case 'empty':
        if (this.closed) throw new StoreClosedError();
        return [];
      case 'asc':
        return this.stmt(asc).all({ topic: toBuffer(topic), cursor: plan.cursor, limit: plan.limit }) as R[];
      case 'desc-from':
        return this.stmt(descFrom).all({ topic: toBuffer(topic), cursor: plan.cursor, limit: plan.limit }) as R[];
      case 'desc-all':
        return this.stmt(descAll).all({ topic: toBuffer(topic), limit: plan.limit }) as R[];
    }
  }

  // ---- group messages ----

  async insertGroupMessages(messages: readonly NewGroupMessage[]): Promise<StoredGroupMessage[]> {
    checkGroupMessages(messages);
    return this.write(() => {
      const stored: StoredGroupMessage[] = [];
      for (const m of messages) {
        const row = this.stmt('insertGroupMessage').get({
          createdNs: nowNs(),
          groupId: toBuffer(m.groupId),
          data: toBuffer(m.data),
          senderHmac: toBuffer(m.senderHmac),
          shouldPush: m.shouldPush ? 1 : 0,
          isCommit: m.isCommit ? 1 : 0,
          hash: sha256(m.groupId, m.data),
        }) as GroupMessageRow | undefined;
        if (row) stored.push(groupMessage(row));
      }
      return stored;
    });
  }

  async queryGroupMessages(groupId: Uint8Array, page: PageQuery): Promise<StoredGroupMessage[]> {
    assertBytes(groupId, 'groupId');
    const rows = this.page<GroupMessageRow>(planPage(page), groupId, ['groupMessagesAsc', 'groupMessagesDescFrom', 'groupMessagesDescAll']);
    return rows.map(groupMessage);
  }

  async newestGroupMessages(groupIds: readonly Uint8Array[]): Promise<(StoredGroupMessage | undefined)[]> {
    assertBytesArray(groupIds, 'groupIds');
    const statement = this.stmt('groupMessagesDescAll');
    return groupIds.map((groupId) => {
      const row = statement.get({ topic: toBuffer(groupId), limit: 1 }) as GroupMessageRow | undefined;
      return row ? groupMessage(row) : undefined;
    });
  }

  // ---- welcomes ----

  async insertWelcomeMessages(messages: readonly NewWelcomeMessage[]): Promise<StoredWelcomeMessage[]> {
    checkWelcomeMessages(messages);
    return this.write(() => {
      const stored: StoredWelcomeMessage[] = [];
      for (const m of messages) {
        const payload = welcomePayload(m);
        const row = this.stmt('insertWelcome').get({
          createdNs: nowNs(),
          kind: m.kind,
          installationKey: toBuffer(m.installationKey),
          data: toBuffer(payload),
          hpkePublicKey: toBuffer(m.hpkePublicKey),
          wrapperAlgorithm: m.wrapperAlgorithm,
          welcomeMetadata: m.kind === 'v1' ? toBuffer(m.welcomeMetadata) : null,
          hash: sha256(m.installationKey, payload),
        }) as WelcomeRow | undefined;
        if (row) stored.push(welcomeMessage(row));
      }
      return stored;
    });
  }

  async queryWelcomeMessages(installationKey: Uint8Array, page: PageQuery): Promise<StoredWelcomeMessage[]> {
    assertBytes(installationKey, 'installationKey');
    const rows = this.page<WelcomeRow>(planPage(page), installationKey, ['welcomesAsc', 'welcomesDescFrom', 'welcomesDescAll']);
    return rows.map(welcomeMessage);
  }

  // ---- key packages ----

  async upsertKeyPackage(installationKey: Uint8Array, keyPackage: Uint8Array): Promise<void> {
    assertBytes(installationKey, 'installationKey');
    assertBytes(keyPackage, 'keyPackage');
    this.write(() => {
      this.stmt('upsertInstallation').run({ installationKey: toBuffer(installationKey), keyPackage: toBuffer(keyPackage), now: nowNs() });
    });
  }

  async fetchKeyPackages(installationKeys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    assertBytesArray(installationKeys, 'installationKeys');
    const statement = this.stmt('fetchKeyPackage');
    return installationKeys.map((key) => {
      const row = statement.get({ installationKey: toBuffer(key) }) as { key_package: Buffer } | undefined;
      return row ? fromBuffer(row.key_package) : undefined;
    });
  }

  // ---- identity ----

  async publishIdentityUpdate(input: PublishIdentityUpdate): Promise<IdentityUpdateRow> {
    assertNonEmptyString(input.inboxId, 'inboxId');
    assertBytes(input.update, 'update');
    const expected = boundedSequenceId(input.expectedLastSequenceId, 'expectedLastSequenceId');
    const changes = normaliseAddressChanges(input);
    return this.write(() => {
      const state = this.stmt('inboxLogState').get({ inboxId: input.inboxId }) as { count: bigint; last: bigint };
      if (state.count >= BigInt(MAX_INBOX_LOG_ENTRIES)) {
        throw new InboxLogFullError(`inbox log is full: ${input.inboxId} already has ${state.count} updates`);
      }
      if (expected === undefined || state.last !== expected) {
        throw new IdentityLogConflictError(
          `inbox ${input.inboxId}: the log's last sequence id is ${state.last}, not ${input.expectedLastSequenceId}`,
        );
      }
      const row = this.stmt('insertInboxLog').get({ inboxId: input.inboxId, now: nowNs(), update: toBuffer(input.update) }) as InboxLogRow;
      for (const change of changes) {
        const params = { address: change.address, inboxId: input.inboxId, sequenceId: row.sequence_id };
        this.stmt(change.change === 'added' ? 'insertAddressLog' : 'revokeAddressLog').run(params);
      }
      return identityUpdate(row);
    });
  }

  async getIdentityUpdates(inboxId: string, afterSequenceId: bigint): Promise<IdentityUpdateRow[]> {
    assertNonEmptyString(inboxId, 'inboxId');
    const after = boundedSequenceId(afterSequenceId, 'afterSequenceId');
    const statement = this.stmt('inboxLogAfter');
    if (after === undefined) return [];
    return (statement.all({ inboxId, after }) as InboxLogRow[]).map(identityUpdate);
  }

  async getInboxIdsByAddress(addresses: readonly string[]): Promise<(string | undefined)[]> {
    const normalised = normaliseAddresses(addresses);
    const statement = this.stmt('inboxIdByAddress');
    return normalised.map((address) => {
      const row = statement.get({ address }) as { inbox_id: string } | undefined;
      return row?.inbox_id;
    });
  }

  // ---- commit log ----

  async insertCommitLogEntries(entries: readonly CommitLogEntryInput[]): Promise<StoredCommitLogEntry[]> {
    checkCommitLogEntries(entries);
    return this.write(() =>
      entries.map((e) => {
        const row = this.stmt('insertCommitLog').get({
          createdNs: nowNs(),
          groupId: toBuffer(e.groupId),
          serializedEntry: toBuffer(e.serializedEntry),
          signature: toBuffer(e.signature),
        }) as CommitLogRow;
        return commitLogEntry(row);
      }),
    );
  }

  async queryCommitLog(groupId: Uint8Array, page: PageQuery): Promise<StoredCommitLogEntry[]> {
    assertBytes(groupId, 'groupId');
    const rows = this.page<CommitLogRow>(planPage(page), groupId, ['commitLogAsc', 'commitLogDescFrom', 'commitLogDescAll']);
    return rows.map(commitLogEntry);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }
}

function groupMessage(row: GroupMessageRow): StoredGroupMessage {
  return {
    id: row.id,
    createdNs: row.created_ns,
    groupId: fromBuffer(row.group_id),
    data: fromBuffer(row.data),
    senderHmac: fromBuffer(row.sender_hmac),
    shouldPush: row.should_push === 1n,
    isCommit: row.is_commit === 1n,
  };
}

function welcomeMessage(row: WelcomeRow): StoredWelcomeMessage {
  const common = {
    id: row.id,
    createdNs: row.created_ns,
    installationKey: fromBuffer(row.installation_key),
    hpkePublicKey: fromBuffer(row.hpke_public_key),
    wrapperAlgorithm: Number(row.wrapper_algorithm),
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
