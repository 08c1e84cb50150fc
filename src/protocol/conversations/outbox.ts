/**
 * Send intents for application messages (xmtp-wire.md §9.2–9.3, security.md "Reliability"): a
 * message is stored, with its PlaintextEnvelope, in the `outbox` BEFORE anything is encrypted or
 * sent, and leaves it only once the node has it (or has refused it for good). Pure; runs
 * everywhere.
 *
 * The life of an entry (`publishOutbox`, run by `syncGroupLocked` after it has read the group up to
 * the node's head, so every earlier send that did land has already been recognised by its payload
 * hash and taken out):
 * 1. no payload yet, or a payload built in an earlier epoch: encrypt the envelope in the current
 *    epoch; the new MLS state, the payload, its epoch and its hash (in `sentPayloads`) are written in
 *    one transaction before sending — a crash after that re-sends the same bytes, never a second
 *    encryption of a message that might be on the node;
 * 2. send; the node's answer decides: accepted → the message is `published` and the entry goes;
 *    refused for good (invalid argument, permission…), or refused with a node-side error
 *    (overloaded, too large, internal) on `MAX_SEND_ATTEMPTS` syncs → the message is `failed` and
 *    the entry goes; otherwise (node down, network) the entry stays and the rest of the group's
 *    outbox waits behind it (order is kept), to be retried by the next sync, however long it takes.
 * A message re-encrypted after an epoch change keeps its idempotency key, hence its message id:
 * receivers that somehow get both copies store it once (`messageIds`).
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { createApplicationMessage, encode, mlsMessageEncoder } from 'ts-mls';
import type { XmtpClient } from '../client.js';
import { XmtpError } from '../errors.js';
import { ConversationTables, encodeClientState, groupKey, loadGroup, payloadKey, saveGroup, type SentPayload, type StoredGroup, type StoredMessage } from './conversation-store.js';
import { senderHmac } from './sender-hmac.js';

export const OutboxErrorCodes = {
  /** The message is stored and will be sent by a later sync. */
  notSentYet: 'conversations.message_pending',
  /** The node refused the message for good. */
  refused: 'conversations.message_refused',
} as const;

export interface OutboxEntry {
  /** The V1 PlaintextEnvelope bytes (content + idempotency key). */
  readonly plaintext: Uint8Array;
  readonly shouldPush: boolean;
  /** The MLS message last built for it, and the epoch it was built in. */
  readonly payload?: Uint8Array;
  readonly epoch?: bigint;
  /** Send attempts that failed with a transient error. */
  readonly attempts: number;
  readonly [key: string]: Uint8Array | boolean | bigint | number | undefined;
}

/** Node answers after which sending the same bytes again cannot succeed. */
const PERMANENT = new Set<Code>([Code.InvalidArgument, Code.PermissionDenied, Code.FailedPrecondition, Code.OutOfRange, Code.Unimplemented, Code.Unauthenticated, Code.NotFound, Code.AlreadyExists]);
/** Failures of the connection, not answers of the node: retried for as long as it takes. */
const UNREACHABLE = new Set<Code>([Code.Unavailable, Code.DeadlineExceeded, Code.Canceled, Code.Unknown]);

/** Node answers other than these (overloaded, too large, internal) fail the message after this many syncs (libxmtp: 3). */
export const MAX_SEND_ATTEMPTS = 3;

function sendFailure(error: unknown, attempts: number): 'failed' | 'retry' {
  if (!(error instanceof ConnectError) || UNREACHABLE.has(error.code)) return 'retry';
  if (PERMANENT.has(error.code)) return 'failed';
  return attempts + 1 >= MAX_SEND_ATTEMPTS ? 'failed' : 'retry';
}

export interface PublishOutboxReturnType {
  /** Message ids published now. */
  readonly published: string[];
  /** Message ids refused for good (now `failed`). */
  readonly failed: string[];
  /** Entries still waiting. */
  readonly pending: number;
  /** Why the first waiting entry could not be sent. */
  readonly error?: XmtpError;
}

/** Publishes the group's outbox in order. The caller holds the group's lock and has just read the group to the node's head. */
export async function publishOutbox(client: XmtpClient, groupId: Uint8Array): Promise<PublishOutboxReturnType> {
  const group = groupKey(groupId);
  const entries = await client.store.list<OutboxEntry>(ConversationTables.outbox, `${group}/`);
  const published: string[] = [];
  const failed: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const { key, value: entry } = entries[i]!;
    const message = await client.store.get<StoredMessage>(ConversationTables.messages, key);
    if (!message) {
      await client.store.delete(ConversationTables.outbox, key);
      continue;
    }
    let payload: Uint8Array;
    try {
      payload = await payloadFor(client, groupId, key, entry);
    } catch (error) {
      if (!(error instanceof XmtpError)) throw error;
      // The group is gone or inactive: the message can never be sent.
      await client.store.transaction((tx) => {
        tx.put(ConversationTables.messages, key, { ...message, deliveryStatus: 'failed' } satisfies StoredMessage);
        tx.delete(ConversationTables.outbox, key);
      });
      failed.push(message.id);
      continue;
    }
    const nowNs = client.clock.nowNs();
    try {
      await client.api.mls.sendGroupMessages({
        messages: [{ version: { case: 'v1', value: { data: payload, senderHmac: senderHmac({ hmacRootKey: client.hmacRootKey, groupId, data: payload, nowNs }), shouldPush: entry.shouldPush } } }],
      });
    } catch (error) {
      if (sendFailure(error, entry.attempts) === 'failed') {
        await client.store.transaction((tx) => {
          tx.put(ConversationTables.messages, key, { ...message, deliveryStatus: 'failed' } satisfies StoredMessage);
          tx.delete(ConversationTables.outbox, key);
        });
        failed.push(message.id);
        continue;
      }
      const current = await client.store.get<OutboxEntry>(ConversationTables.outbox, key);
      if (current) await client.store.put(ConversationTables.outbox, key, { ...current, attempts: current.attempts + 1 });
      return { published, failed, pending: entries.length - i, error: XmtpError.from(error) };
    }
    await client.store.transaction((tx) => {
      tx.put(ConversationTables.messages, key, { ...message, deliveryStatus: 'published' } satisfies StoredMessage);
      tx.delete(ConversationTables.outbox, key);
    });
    published.push(message.id);
  }
  return { published, failed, pending: 0 };
}

/** The entry's payload for the current epoch, encrypting (and persisting) it when needed. */
async function payloadFor(client: XmtpClient, groupId: Uint8Array, key: string, entry: OutboxEntry): Promise<Uint8Array> {
  const { record, state } = await loadGroup(client.store, groupId);
  if (entry.payload && entry.epoch === state.groupContext.epoch) return entry.payload;
  if (state.groupActiveState.kind !== 'active') throw new XmtpError('conversations.group_inactive', `Group ${groupKey(groupId)} is not active`);
  const { newState, message } = await createApplicationMessage({ context: client.mls, state, message: entry.plaintext });
  const payload = encode(mlsMessageEncoder, message);
  const next: OutboxEntry = { ...entry, payload, epoch: state.groupContext.epoch };
  const updated: StoredGroup = { ...record, state: encodeClientState(newState) };
  await saveGroup(client.store, updated, undefined, (tx) => {
    tx.put(ConversationTables.outbox, key, next);
    tx.put(ConversationTables.sentPayloads, payloadKey(payload), { groupId: groupKey(groupId), messageKey: key } satisfies SentPayload);
  });
  return payload;
}
