/**
 * Helpers shared by the SQLite and PostgreSQL stores. Runs in Node only (the local node).
 *
 * Guarantees: dedupe hashes are exactly sha256(topic ‖ data); page queries are normalised the same
 * way for both stores (xmtp-node-go's rules, plus uint64 cursors beyond the int64 range the
 * databases hold); input rows are checked for shape before any write, so a malformed row fails
 * with a TypeError/RangeError naming it; bytes handed out are plain, unshared Uint8Arrays.
 */
import { createHash } from 'node:crypto';
import type { AddressLogChange, CommitLogEntryInput, NewGroupMessage, NewWelcomeMessage, PageQuery, PublishIdentityUpdate } from './store.js';
import { pageSize } from './store.js';

/** The largest value a BIGINT / SQLite INTEGER holds; ids never exceed it. */
export const MAX_INT64 = 2n ** 63n - 1n;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
  constructor() {
    super('the store is closed');
  }
}

/** What a page query means for SQL: which statement and with which bound values. */
export type PagePlan =
  | { readonly kind: 'empty' }
  | { readonly kind: 'asc'; readonly cursor: bigint; readonly limit: number }
  | { readonly kind: 'desc-from'; readonly cursor: bigint; readonly limit: number }
  | { readonly kind: 'desc-all'; readonly limit: number };

/**
 * ASC: ids > cursor (cursor 0 = from the start). DESC: ids < cursor, cursor 0 = from the end. A
 * uint64 cursor above the int64 range cannot be bound, but its meaning is clear: ASC → nothing,
 * DESC → everything.
 */
export function planPage(page: PageQuery): PagePlan {
  if (typeof page.cursor !== 'bigint') throw new TypeError('page cursor must be a bigint');
  if (page.cursor < 0n) throw new RangeError(`page cursor must not be negative (got ${page.cursor})`);
  if (page.direction !== 'asc' && page.direction !== 'desc') {
    throw new RangeError(`page direction must be 'asc' or 'desc' (got ${String(page.direction)})`);
  }
  const limit = Number.isFinite(page.limit) ? pageSize(Math.trunc(page.limit)) : pageSize(0);
  if (page.direction === 'asc') {
    return page.cursor >= MAX_INT64 ? { kind: 'empty' } : { kind: 'asc', cursor: page.cursor, limit };
  }
  return page.cursor === 0n || page.cursor > MAX_INT64 ? { kind: 'desc-all', limit } : { kind: 'desc-from', cursor: page.cursor, limit };
}

/** Checks a sequence id argument (uint64); returns it, or undefined when above the int64 range. */
export function boundedSequenceId(value: bigint, what: string): bigint | undefined {
  if (typeof value !== 'bigint') throw new TypeError(`${what} must be a bigint`);
  if (value < 0n) throw new RangeError(`${what} must not be negative (got ${value})`);
  return value > MAX_INT64 ? undefined : value;
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** A Buffer view of the bytes (no copy), for binding. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A plain Uint8Array view of bytes read from the database (no copy: the drivers hand out fresh
 * buffers that nothing else writes to, and copying every page of messages costs latency).
 */
export function fromBuffer(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export function assertBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
}

export function assertNonEmptyString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${what} must be a non-empty string`);
}

function assertBoolean(value: unknown, what: string): void {
  if (typeof value !== 'boolean') throw new TypeError(`${what} must be a boolean`);
}

function assertInt32(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw new RangeError(`${what} must be an int32 (got ${String(value)})`);
  }
}

export function assertBytesArray(value: unknown, what: string): asserts value is readonly Uint8Array[] {
  assertArray(value, what);
  value.forEach((v, i) => assertBytes(v, `${what}[${i}]`));
}

export function assertArray(value: unknown, what: string): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array`);
}

/**
 * Shape checks of a batch, before anything is written. Content rules (non-empty topics and data)
 * are the schema's CHECK constraints, enforced by the database inside the batch's transaction.
 */
export function checkGroupMessages(messages: readonly NewGroupMessage[]): void {
  assertArray(messages, 'messages');
  messages.forEach((m, i) => {
    assertBytes(m.groupId, `messages[${i}].groupId`);
    assertBytes(m.data, `messages[${i}].data`);
    assertBytes(m.senderHmac, `messages[${i}].senderHmac`);
    assertBoolean(m.shouldPush, `messages[${i}].shouldPush`);
    assertBoolean(m.isCommit, `messages[${i}].isCommit`);
  });
}

export function checkWelcomeMessages(messages: readonly NewWelcomeMessage[]): void {
  assertArray(messages, 'messages');
  messages.forEach((m, i) => {
    assertBytes(m.installationKey, `messages[${i}].installationKey`);
    assertBytes(m.hpkePublicKey, `messages[${i}].hpkePublicKey`);
    assertInt32(m.wrapperAlgorithm, `messages[${i}].wrapperAlgorithm`);
    if (m.kind === 'v1') {
      assertBytes(m.data, `messages[${i}].data`);
      assertBytes(m.welcomeMetadata, `messages[${i}].welcomeMetadata`);
    } else if (m.kind === 'pointer') {
      assertBytes(m.welcomePointer, `messages[${i}].welcomePointer`);
    } else {
      throw new TypeError(`messages[${i}].kind must be 'v1' or 'pointer'`);
    }
  });
}

export function checkCommitLogEntries(entries: readonly CommitLogEntryInput[]): void {
  assertArray(entries, 'entries');
  entries.forEach((e, i) => {
    assertBytes(e.groupId, `entries[${i}].groupId`);
    assertBytes(e.serializedEntry, `entries[${i}].serializedEntry`);
    assertBytes(e.signature, `entries[${i}].signature`);
  });
}

/** Checks the address changes of an identity update and lowercases their addresses. */
export function normaliseAddressChanges(input: PublishIdentityUpdate): AddressLogChange[] {
  assertArray(input.addressChanges, 'addressChanges');
  return input.addressChanges.map((c, i) => {
    assertNonEmptyString(c.address, `addressChanges[${i}].address`);
    if (c.change !== 'added' && c.change !== 'removed') {
      throw new RangeError(`addressChanges[${i}].change must be 'added' or 'removed'`);
    }
    return { address: c.address.toLowerCase(), change: c.change };
  });
}

/** Addresses are stored lowercase; lookups lowercase them too (Ethereum addresses ignore case). */
export function normaliseAddresses(addresses: readonly string[]): string[] {
  assertArray(addresses, 'addresses');
  return addresses.map((a, i) => {
    assertNonEmptyString(a, `addresses[${i}]`);
    return a.toLowerCase();
  });
}

/** The welcome's payload column: the V1 data, or the welcome pointer. */
export function welcomePayload(message: NewWelcomeMessage): Uint8Array {
  return message.kind === 'v1' ? message.data : message.welcomePointer;
}

/** Hex of bytes, as a map key. */
export function hexKey(bytes: Uint8Array): string {
  return toBuffer(bytes).toString('hex');
}

const originNs = BigInt(Date.now()) * 1_000_000n;
const originHr = process.hrtime.bigint();

/** Nanoseconds since the epoch: wall clock at start-up, then the monotonic clock. */
export function nowNs(): bigint {
  return originNs + (process.hrtime.bigint() - originHr);
}
