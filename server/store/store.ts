/**
 * The node's storage contract. Runs in Node only (the local node). Two implementations satisfy it,
 * SQLite (embedded default) and PostgreSQL, and one contract test suite runs against both.
 *
 * Guarantees every implementation gives:
 * - Ids are assigned per table (group messages, welcomes, identity log, commit log) from one global
 *   increasing sequence, in the order rows are accepted; writes of a table are serialised, so a row
 *   with a smaller id is always committed before one with a larger id is visible.
 * - A batch insert is atomic: all new rows of the batch are stored, or none (on any error).
 * - Duplicates are skipped silently: a group message whose sha256(group_id ‖ data) is already stored,
 *   a welcome whose sha256(installation_key ‖ data) is already stored. The insert returns only the
 *   rows it actually stored, with their ids, in id order.
 * - Paging follows xmtp-node-go: `limit` 0 or over 100 means 100; ASC returns ids > cursor, DESC ids
 *   < cursor (cursor 0 = from the start / from the end).
 * - Nothing acknowledged is lost on a clean close (SQLite in WAL mode with synchronous=FULL, or a
 *   committed PostgreSQL transaction).
 */

export const MAX_PAGE_SIZE = 100;
/** node-go refuses an inbox whose log already holds this many updates ("inbox log is full"). */
export const MAX_INBOX_LOG_ENTRIES = 256;

export type SortDirection = 'asc' | 'desc';

export interface PageQuery {
  readonly direction: SortDirection;
  /** 0 or > MAX_PAGE_SIZE means MAX_PAGE_SIZE. */
  readonly limit: number;
  /** 0n = no cursor. */
  readonly cursor: bigint;
}

export interface NewGroupMessage {
  readonly groupId: Uint8Array;
  /** The TLS-serialized MlsMessage, as sent. */
  readonly data: Uint8Array;
  readonly senderHmac: Uint8Array;
  readonly shouldPush: boolean;
  readonly isCommit: boolean;
}

export interface StoredGroupMessage extends NewGroupMessage {
  readonly id: bigint;
  /** Server insert time, nanoseconds since the epoch. */
  readonly createdNs: bigint;
}

/** A welcome in either wire form: V1 (the wrapped Welcome itself) or a welcome pointer. */
export type NewWelcomeMessage =
  | {
      readonly kind: 'v1';
      /** The topic: an installation id, or a pointee's random destination. */
      readonly installationKey: Uint8Array;
      readonly data: Uint8Array;
      readonly hpkePublicKey: Uint8Array;
      readonly wrapperAlgorithm: number;
      readonly welcomeMetadata: Uint8Array;
    }
  | {
      readonly kind: 'pointer';
      readonly installationKey: Uint8Array;
      readonly welcomePointer: Uint8Array;
      readonly hpkePublicKey: Uint8Array;
      readonly wrapperAlgorithm: number;
    };

export type StoredWelcomeMessage = NewWelcomeMessage & {
  readonly id: bigint;
  readonly createdNs: bigint;
};

export interface IdentityUpdateRow {
  readonly sequenceId: bigint;
  readonly inboxId: string;
  readonly serverTimestampNs: bigint;
  /** The serialized xmtp.identity.associations.IdentityUpdate, exactly as published. */
  readonly update: Uint8Array;
}

/** Changes to the address → inbox index that one identity update makes (Ethereum members only). */
export interface AddressLogChange {
  /** Lowercase 0x address. */
  readonly address: string;
  readonly change: 'added' | 'removed';
}

export interface PublishIdentityUpdate {
  readonly inboxId: string;
  readonly update: Uint8Array;
  /**
   * The sequence id of the last log entry the caller validated against (0n for an empty log). The
   * store refuses the insert with IdentityLogConflictError if the log has moved on since, so that
   * validation (which may be slow and async) can happen outside the write lock.
   */
  readonly expectedLastSequenceId: bigint;
  readonly addressChanges: readonly AddressLogChange[];
}

export interface CommitLogEntryInput {
  readonly groupId: Uint8Array;
  readonly serializedEntry: Uint8Array;
  /** Serialized xmtp.identity.associations.RecoverableEd25519Signature (may be empty). */
  readonly signature: Uint8Array;
}

export interface StoredCommitLogEntry extends CommitLogEntryInput {
  readonly sequenceId: bigint;
}

export class IdentityLogConflictError extends Error {
  override readonly name = 'IdentityLogConflictError';
}

export class InboxLogFullError extends Error {
  override readonly name = 'InboxLogFullError';
}

export interface Store {
  // ---- group messages ----
  insertGroupMessages(messages: readonly NewGroupMessage[]): Promise<StoredGroupMessage[]>;
  queryGroupMessages(groupId: Uint8Array, page: PageQuery): Promise<StoredGroupMessage[]>;
  /** For each group id, its newest message (largest id), or undefined; same order as the input. */
  newestGroupMessages(groupIds: readonly Uint8Array[]): Promise<(StoredGroupMessage | undefined)[]>;

  // ---- welcomes ----
  insertWelcomeMessages(messages: readonly NewWelcomeMessage[]): Promise<StoredWelcomeMessage[]>;
  queryWelcomeMessages(installationKey: Uint8Array, page: PageQuery): Promise<StoredWelcomeMessage[]>;

  // ---- key packages (one per installation; the last upload wins) ----
  upsertKeyPackage(installationKey: Uint8Array, keyPackage: Uint8Array): Promise<void>;
  /** Same order and length as the input; undefined where the installation has none. */
  fetchKeyPackages(installationKeys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;

  // ---- identity ----
  /**
   * Appends one update to an inbox log. Throws InboxLogFullError when the log already holds
   * MAX_INBOX_LOG_ENTRIES, IdentityLogConflictError when expectedLastSequenceId is stale.
   */
  publishIdentityUpdate(input: PublishIdentityUpdate): Promise<IdentityUpdateRow>;
  /** The inbox's log entries with sequence id > afterSequenceId, ascending. */
  getIdentityUpdates(inboxId: string, afterSequenceId: bigint): Promise<IdentityUpdateRow[]>;
  /** For each lowercase address: the inbox of its latest association that is not revoked. */
  getInboxIdsByAddress(addresses: readonly string[]): Promise<(string | undefined)[]>;

  // ---- commit log ----
  insertCommitLogEntries(entries: readonly CommitLogEntryInput[]): Promise<StoredCommitLogEntry[]>;
  queryCommitLog(groupId: Uint8Array, page: PageQuery): Promise<StoredCommitLogEntry[]>;

  /** Finishes pending writes and releases the database. Idempotent. */
  close(): Promise<void>;
}

/** Normalises a requested page size the way xmtp-node-go does. */
export function pageSize(limit: number): number {
  return limit <= 0 || limit > MAX_PAGE_SIZE ? MAX_PAGE_SIZE : limit;
}
