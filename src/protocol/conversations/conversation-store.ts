/**
 * How conversations live in the client's Store. Pure; runs everywhere.
 *
 * Tables (key → value):
 * - `groups`: hex group id → `StoredGroup` (the ts-mls ClientState bytes — keys included, so it goes
 *   only into the Store, which the extension encrypts at rest — and the group's message cursor);
 * - `messages`: `<hex group id>/<sent_at_ns, 20 digits>/<message id>` → `StoredMessage` (key order
 *   is display order);
 * - `sentPayloads`: hex SHA-256 of a payload we published → `{ groupId, messageKey? }`: our own
 *   messages coming back from the node are recognised by it and skipped (interop-findings T9); for
 *   an application message `messageKey` names the stored message, which the echo marks published;
 * - `messageIds`: message id → its key in `messages`: a message is stored once, however many times
 *   the node delivers it (a sender may re-publish it, re-encrypted, after a failure);
 * - `outbox`: the message's key in `messages` → `OutboxEntry`: a message of ours not yet on the
 *   node (the send intent, `outbox.ts`);
 * - `pendingWelcomes`: welcomes owed for a commit of ours (`pending-welcomes.ts`);
 * - `client` → `welcomeCursor`: the id of the last welcome processed.
 *
 * A commit of ours on an existing group is first stored as pending (`pendingCommit` = its payload
 * hash, `pendingState` = the state after it) and only becomes the group's state once the node has it
 * with no other commit ahead of it (`commitToGroup`, or `syncGroup` when it finds it after a crash).
 *
 * Guarantees: a group's new MLS state, its cursor, and the messages and payload hashes that go with
 * them are written in one transaction (`saveGroup`). `loadGroup` decodes a state only when its
 * stored bytes changed since it last saw them (the ClientState is then shared: never mutate one).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { clientStateDecoder, clientStateEncoder, decode, encode, type ClientState } from 'ts-mls';
import { XmtpError } from '../errors.js';
import { bytesEqual } from '../mls/tls.js';
import type { Store, StoreWriter } from '../storage/store.js';

export const ConversationTables = {
  groups: 'groups',
  messages: 'messages',
  sentPayloads: 'sentPayloads',
  messageIds: 'messageIds',
  outbox: 'outbox',
  pendingWelcomes: 'pendingWelcomes',
  client: 'client',
} as const;

export const ConversationErrorCodes = {
  unknownGroup: 'conversations.unknown_group',
  corruptState: 'conversations.corrupt_state',
} as const;

export type ConversationKind = 'dm' | 'group';

export interface StoredGroup {
  readonly groupId: Uint8Array;
  /** `clientStateEncoder` bytes. */
  readonly state: Uint8Array;
  /** Id of the last group message processed (or skipped). */
  readonly cursor: bigint;
  readonly kind: ConversationKind;
  /** DMs: the other member's inbox id. */
  readonly dmPeerInboxId?: string;
  readonly createdAtNs: bigint;
  /** Who added us (the welcome's sender) or our own inbox for a group we created. */
  readonly addedByInboxId: string;
  /** Payload hash (hex) of our commit published (or being published) but not merged yet. */
  readonly pendingCommit?: string;
  /** `clientStateEncoder` bytes of the state after `pendingCommit`. */
  readonly pendingState?: Uint8Array;
  /** When members' installations were last checked against their identity logs (`syncGroupInstallations`). */
  readonly installationsCheckedAtNs?: bigint;
  /** `sent_at` of the newest message stored (DM stitching picks the most active DM). */
  readonly lastMessageAtNs?: bigint;
  /** Members who asked to leave (a LeaveRequest, ours included) and are still in the group (`leave-group.ts`). */
  readonly pendingRemoveInboxIds?: readonly string[];
  readonly [key: string]: Uint8Array | bigint | string | readonly string[] | undefined;
}

export interface StoredMessage {
  /** libxmtp's message id (hex): SHA-256(group id ‖ \t ‖ idempotency key ‖ \t ‖ EncodedContent). */
  readonly id: string;
  readonly groupId: string;
  readonly senderInboxId: string;
  /** PlaintextEnvelope idempotency key as ns for received messages; our send time for ours. */
  readonly sentAtNs: bigint;
  /** The EncodedContent bytes as received or sent. */
  readonly encodedContent: Uint8Array;
  /** Node id of the envelope, when known. */
  readonly envelopeId?: bigint;
  /** `unpublished`: ours, in the outbox; `failed`: ours, refused by the node for good. */
  readonly deliveryStatus: 'published' | 'unpublished' | 'failed';
  readonly [key: string]: string | bigint | Uint8Array | undefined;
}

export interface SentPayload {
  readonly groupId: string;
  /** For an application message: its key in `messages`. */
  readonly messageKey?: string;
  readonly [key: string]: string | undefined;
}

export const groupKey = (groupId: Uint8Array): string => bytesToHex(groupId);
export const payloadKey = (data: Uint8Array): string => bytesToHex(sha256(data));

export function messageKey(groupIdHex: string, sentAtNs: bigint, id: string): string {
  return `${groupIdHex}/${sentAtNs.toString().padStart(20, '0')}/${id}`;
}

/**
 * Decoded states by Store and group (most recently used last, bounded; memory only): a group's
 * state is decoded once and handed out again while its stored bytes are the same (compared in
 * full), and a state saved through `encodeClientState` is known with its bytes, so the one just
 * saved is not decoded again. A large group's state is hundreds of KB: decoding it costs
 * milliseconds per load. Sharing is safe because a ClientState is never changed in place (ts-mls
 * returns new states, and nothing here mutates one); `decodeClientState` itself always decodes a
 * fresh copy.
 */
const decodedStates = new WeakMap<Store, Map<string, { readonly bytes: Uint8Array; readonly state: ClientState }>>();
const DECODED_STATES_LIMIT = 8;
/** States by the bytes `encodeClientState` made of them (until those bytes are dropped). */
const encodedStates = new WeakMap<Uint8Array, ClientState>();

function rememberDecoded(store: Store, key: string, bytes: Uint8Array, state: ClientState): void {
  let states = decodedStates.get(store);
  if (!states) decodedStates.set(store, (states = new Map()));
  states.delete(key);
  states.set(key, { bytes, state });
  if (states.size > DECODED_STATES_LIMIT) states.delete(states.keys().next().value!);
}

export async function loadGroup(store: Store, groupId: Uint8Array): Promise<{ record: StoredGroup; state: ClientState }> {
  const key = groupKey(groupId);
  const record = await store.get<StoredGroup>(ConversationTables.groups, key);
  if (!record) throw new XmtpError(ConversationErrorCodes.unknownGroup, `No conversation ${key}`);
  const hit = decodedStates.get(store)?.get(key);
  const state = hit && bytesEqual(hit.bytes, record.state) ? hit.state : decodeClientState(record.state);
  rememberDecoded(store, key, record.state, state);
  return { record, state };
}

/** The record without its pending commit. */
export function withoutPending(record: StoredGroup): StoredGroup {
  const { pendingCommit: _c, pendingState: _s, ...rest } = record;
  return rest as StoredGroup;
}

export function encodeClientState(state: ClientState): Uint8Array {
  const bytes = encode(clientStateEncoder, state);
  encodedStates.set(bytes, state);
  return bytes;
}

export function decodeClientState(bytes: Uint8Array): ClientState {
  const state = decode(clientStateDecoder, bytes);
  if (!state) throw new XmtpError(ConversationErrorCodes.corruptState, 'Stored MLS group state does not decode');
  return state;
}

/** Writes the group (new state and cursor) plus any extra writes, atomically. */
export async function saveGroup(store: Store, record: StoredGroup, state: ClientState | undefined, extra?: (tx: StoreWriter) => void): Promise<void> {
  const next: StoredGroup = state ? { ...record, state: encodeClientState(state) } : record;
  const key = groupKey(next.groupId);
  await store.transaction((tx) => {
    tx.put(ConversationTables.groups, key, next);
    extra?.(tx);
  });
  const saved = encodedStates.get(next.state);
  if (saved) rememberDecoded(store, key, next.state, saved);
}
