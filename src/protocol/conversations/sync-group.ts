/**
 * Brings one conversation up to date: pulls its messages after the stored cursor, in node order, and
 * for each one
 * - skips it if we sent it (its payload hash is in `sentPayloads`, interop-findings T9);
 * - decrypts an application message, decodes its PlaintextEnvelope, takes the sender's inbox id
 *   from the sender leaf's credential and stores it (id = libxmtp's message id, sent_at = the
 *   envelope's `created_ns`, as libxmtp);
 * - processes a commit with ts-mls (libxmtp's KeyUpdate on first send after a join (T12), GCE
 *   commits, membership changes) and stores a synthesised GroupUpdated transcript message for it
 *   (added / removed inboxes, metadata and admin changes, `group-updated-transcript.ts`; none for a
 *   key update); a commit that removes us leaves the group inactive (ts-mls `removedFromGroup`);
 * - merges our own pending commit when it comes back (a crash between publish and merge), and drops
 *   it when another commit got in first or it never reached the node;
 * - skips what cannot be processed — a commit from a past epoch that lost a race (T10), a message
 *   from an epoch whose keys we never had (T11), garbage — and moves on.
 * After each message the new MLS state, the cursor and the stored message are written in one
 * transaction. Pure; runs everywhere.
 *
 * Not yet done here: libxmtp's commit validation (§5.4: membership diffs against identity logs,
 * permissions); commits are accepted as ts-mls validates them (RFC 9420 only).
 */
import { ConnectError } from '@connectrpc/connect';
import { acceptAll, contentTypes, decode, mlsMessageDecoder, processMessage, wireformats, type ClientState } from 'ts-mls';
import type { GroupMessage } from '../../gen/mls/api/v1/mls_pb.js';
import type { XmtpClient } from '../client.js';
import { messageId } from '../content/message-id.js';
import { decodePlaintextEnvelope } from '../content/plaintext-envelope.js';
import { envelopeId, queryGroupMessagesAfter } from '../delivery/query-all.js';
import { XmtpError } from '../errors.js';
import { ConversationTables, decodeClientState, encodeClientState, groupKey, loadGroup, messageKey, payloadKey, saveGroup, withoutPending, type StoredMessage } from './conversation-store.js';
import { diffGroupUpdate, groupUpdatedMessage } from './group-updated-transcript.js';
import { readMessageSender } from './message-sender.js';

export interface SyncGroupParameters {
  readonly groupId: Uint8Array;
}

export interface SyncGroupReturnType {
  /** Ids of the application messages stored by this sync, in order. */
  readonly received: string[];
  readonly commits: number;
  /** Envelopes skipped (ours excluded), with why. */
  readonly skipped: { readonly id: bigint; readonly error: XmtpError }[];
}

export function syncGroup(client: XmtpClient, { groupId }: SyncGroupParameters): Promise<SyncGroupReturnType> {
  return client.lock(groupKey(groupId), () => syncGroupLocked(client, groupId));
}

/** syncGroup for a caller already holding the group's lock. */
export async function syncGroupLocked(client: XmtpClient, groupId: Uint8Array): Promise<SyncGroupReturnType> {
  let { record, state } = await loadGroup(client.store, groupId);
  const received: string[] = [];
  const skipped: { id: bigint; error: XmtpError }[] = [];
  let commits = 0;
  for await (const envelope of queryGroupMessagesAfter(client.api, groupId, record.cursor)) {
    const id = envelopeId(envelope);
    let next: ClientState | undefined;
    let stored: StoredMessage | undefined;
    try {
      const pending = record.pendingCommit;
      const outcome = await processEnvelope(client, state, envelope, pending);
      next = outcome.state;
      stored = outcome.message;
      if (outcome.kind === 'commit') commits++;
      if (outcome.kind === 'commit' || outcome.kind === 'ownCommit') record = withoutPending(record);
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      skipped.push({ id, error: XmtpError.from(error) });
    }
    // Keep the record's state bytes current: a later skipped envelope saves the record as it is.
    record = { ...record, cursor: id, ...(next ? { state: encodeClientState(next) } : {}) };
    await saveGroup(client.store, record, undefined, (tx) => {
      if (stored) tx.put(ConversationTables.messages, messageKey(stored.groupId, stored.sentAtNs, stored.id), stored);
    });
    if (next) state = next;
    if (stored) received.push(stored.id);
  }
  if (record.pendingCommit) {
    // Our commit never reached the node: drop it (the caller retries).
    record = withoutPending(record);
    await saveGroup(client.store, record, undefined);
  }
  return { received, commits, skipped };
}

interface Outcome {
  readonly kind: 'own' | 'ownCommit' | 'commit' | 'application' | 'other';
  readonly state?: ClientState;
  readonly message?: StoredMessage;
}

async function processEnvelope(client: XmtpClient, state: ClientState, envelope: GroupMessage, pendingCommit: string | undefined): Promise<Outcome> {
  if (envelope.version.case !== 'v1') throw new XmtpError('conversations.unsupported_envelope', 'Group message without V1');
  const { data, createdNs } = envelope.version.value;
  const groupId = state.groupContext.groupId;
  const hash = payloadKey(data);
  if (await client.store.get(ConversationTables.sentPayloads, hash)) {
    if (pendingCommit !== hash) return { kind: 'own' };
    const record = await client.store.get<{ pendingState?: Uint8Array }>(ConversationTables.groups, groupKey(groupId));
    if (!record?.pendingState) return { kind: 'own' };
    const merged = decodeClientState(record.pendingState);
    const update = diffGroupUpdate(state.groupContext.extensions, merged.groupContext.extensions, client.inboxId);
    return { kind: 'ownCommit', state: merged, ...(update ? { message: groupUpdatedMessage(groupId, update, createdNs, envelopeId(envelope)) } : {}) };
  }
  const mlsMessage = decode(mlsMessageDecoder, data);
  if (!mlsMessage || (mlsMessage.wireformat !== wireformats.mls_private_message && mlsMessage.wireformat !== wireformats.mls_public_message)) {
    throw new XmtpError('conversations.malformed_message', 'Group message is not an MLS PrivateMessage or PublicMessage');
  }
  const isApplication = mlsMessage.wireformat === wireformats.mls_private_message && mlsMessage.privateMessage.contentType === contentTypes.application;
  const sender = mlsMessage.wireformat === wireformats.mls_private_message ? await readMessageSender(client.mls.cipherSuite, state, mlsMessage.privateMessage) : undefined;
  const result = await processMessage({ context: client.mls, state, message: mlsMessage, callback: acceptAll });
  if (result.kind === 'newState') {
    if (result.actionTaken !== 'accept' || isApplication || result.newState.groupContext.epoch === state.groupContext.epoch) return { kind: 'other', state: result.newState };
    const update = diffGroupUpdate(state.groupContext.extensions, result.newState.groupContext.extensions, sender?.inboxId ?? '');
    return { kind: 'commit', state: result.newState, ...(update ? { message: groupUpdatedMessage(groupId, update, createdNs, envelopeId(envelope)) } : {}) };
  }
  if (!sender?.inboxId) return { kind: 'other', state: result.newState };
  const envelopeContent = decodePlaintextEnvelope(result.message);
  if (envelopeContent.kind !== 'content') return { kind: 'other', state: result.newState };
  return {
    kind: 'application',
    state: result.newState,
    message: {
      id: messageId(groupId, envelopeContent.idempotencyKey, envelopeContent.content),
      groupId: groupKey(groupId),
      senderInboxId: sender.inboxId,
      sentAtNs: createdNs,
      encodedContent: envelopeContent.content,
      envelopeId: envelopeId(envelope),
      deliveryStatus: 'published',
    },
  };
}
