/**
 * Brings one conversation up to date: pulls its messages after the stored cursor, in node order, and
 * for each one
 * - skips it if we sent it (its payload hash is in `sentPayloads`, interop-findings T9), marking
 *   our message published and taking it out of the outbox (a crash between the node's acceptance
 *   and our bookkeeping ends here);
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
 * transaction; a message whose id is already stored (delivered twice) is not stored again. Then
 * welcomes still owed for a commit of ours are settled (`pending-welcomes.ts`) and the group's
 * outbox is published (`outbox.ts`). Pure; runs everywhere.
 *
 * Every commit from another member (including one that removes us) goes through libxmtp's commit
 * validation (`validate-commit.ts`, §5.4: membership diffs against identity logs, permissions,
 * metadata rules) after ts-mls has processed it; a refused commit is skipped like any other
 * (cursor advanced, group state as before it, no transcript message). Standalone proposals are
 * refused (libxmtp 1.10 groups without proposal support).
 */
import { ConnectError } from '@connectrpc/connect';
import { contentTypes, decode, mlsMessageDecoder, processMessage, wireformats, type ClientState } from 'ts-mls';
import type { GroupMessage } from '../../gen/mls/api/v1/mls_pb.js';
import type { XmtpClient } from '../client.js';
import { messageId } from '../content/message-id.js';
import { decodePlaintextEnvelope } from '../content/plaintext-envelope.js';
import { envelopeId, queryGroupMessagesAfter } from '../delivery/query-all.js';
import { XmtpError } from '../errors.js';
import { ConversationTables, decodeClientState, encodeClientState, groupKey, loadGroup, messageKey, payloadKey, saveGroup, withoutPending, type SentPayload, type StoredGroup, type StoredMessage } from './conversation-store.js';
import { diffGroupUpdate, groupUpdatedMessage } from './group-updated-transcript.js';
import { readMessageSender } from './message-sender.js';
import { validateIncomingCommit, type IncomingCommit } from './validate-commit.js';
import { publishOutbox, type PublishOutboxReturnType } from './outbox.js';
import { removeMembersPendingRemovalLocked } from './leave-group.js';
import { readGroupMembership } from './group-extensions.js';
import { ContentTypeLeaveRequest } from '../content/leave-request-codec.js';
import { isSameContentType } from '../content/content-type-id.js';
import { encodedContentFromBytes } from '../content/encoded-content.js';
import { resumePendingWelcomes } from './pending-welcomes.js';

export interface SyncGroupParameters {
  readonly groupId: Uint8Array;
}

export interface SyncGroupReturnType {
  /** Ids of the application messages stored by this sync, in order. */
  readonly received: string[];
  readonly commits: number;
  /** Envelopes skipped (ours excluded), with why. */
  readonly skipped: { readonly id: bigint; readonly error: XmtpError }[];
  /** What publishing the outbox did after the read. */
  readonly outbox: PublishOutboxReturnType;
  /** Members who had asked to leave and whom we (a super admin) removed after the sync. */
  readonly removedPendingInboxes?: readonly string[];
  /** Why removing members who asked to leave failed (retried by the next sync). */
  readonly pendingRemovalError?: XmtpError;
}

/** Syncs the group; then, if we are a super admin and members asked to leave, removes them (`leave-group.ts`). */
export function syncGroup(client: XmtpClient, { groupId }: SyncGroupParameters): Promise<SyncGroupReturnType> {
  return client.lock(groupKey(groupId), async () => {
    const result = await syncGroupLocked(client, groupId);
    try {
      const removed = await removeMembersPendingRemovalLocked(client, groupId);
      return removed ? { ...result, removedPendingInboxes: removed.inboxIds } : result;
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      return { ...result, pendingRemovalError: XmtpError.from(error) };
    }
  });
}

/**
 * syncGroup for a caller already holding the group's lock. `publish: false` leaves the outbox alone
 * (a commit about to be made goes ahead of the messages waiting in it).
 */
export async function syncGroupLocked(client: XmtpClient, groupId: Uint8Array, options: { readonly publish?: boolean } = {}): Promise<SyncGroupReturnType> {
  let { record, state } = await loadGroup(client.store, groupId);
  const received: string[] = [];
  const skipped: { id: bigint; error: XmtpError }[] = [];
  let commits = 0;
  for await (const envelope of queryGroupMessagesAfter(client.api, groupId, record.cursor)) {
    const id = envelopeId(envelope);
    let next: ClientState | undefined;
    let stored: StoredMessage | undefined;
    let own: { key: string; message: StoredMessage } | undefined;
    try {
      const pending = record.pendingCommit;
      const outcome = await processEnvelope(client, state, envelope, pending, record.pendingRemoveInboxIds ?? []);
      next = outcome.state;
      stored = outcome.message;
      if (outcome.ownMessageKey) {
        const message = await client.store.get<StoredMessage>(ConversationTables.messages, outcome.ownMessageKey);
        if (message) own = { key: outcome.ownMessageKey, message };
      }
      if (stored && (await client.store.get(ConversationTables.messageIds, stored.id))) stored = undefined;
      if (outcome.kind === 'commit') commits++;
      if (outcome.kind === 'commit' || outcome.kind === 'ownCommit') record = withoutPending(record);
      // Leave requests (libxmtp `process_leave_request_message`): the sender is pending removal
      // until a commit removes it; ours too when our own request comes back.
      const asker = stored && isLeaveRequest(stored.encodedContent) ? stored.senderInboxId : own && isLeaveRequest(own.message.encodedContent) ? client.inboxId : undefined;
      if (asker) record = withPendingRemoval(record, [...(record.pendingRemoveInboxIds ?? []), asker]);
      if (next && (outcome.kind === 'commit' || outcome.kind === 'ownCommit')) {
        const members = readGroupMembership(next.groupContext.extensions).members;
        record = withPendingRemoval(record, (record.pendingRemoveInboxIds ?? []).filter((m) => members[m] !== undefined));
      }
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      skipped.push({ id, error: XmtpError.from(error) });
    }
    // Keep the record's state bytes current: a later skipped envelope saves the record as it is.
    record = { ...record, cursor: id, ...(next ? { state: encodeClientState(next) } : {}) };
    if (stored && stored.sentAtNs > (record.lastMessageAtNs ?? 0n)) record = { ...record, lastMessageAtNs: stored.sentAtNs };
    await saveGroup(client.store, record, undefined, (tx) => {
      if (stored) {
        const key = messageKey(stored.groupId, stored.sentAtNs, stored.id);
        tx.put(ConversationTables.messages, key, stored);
        tx.put(ConversationTables.messageIds, stored.id, key);
      }
      if (own) {
        tx.put(ConversationTables.messages, own.key, { ...own.message, deliveryStatus: 'published', envelopeId: id } satisfies StoredMessage);
        tx.delete(ConversationTables.outbox, own.key);
      }
    });
    if (next) state = next;
    if (stored) received.push(stored.id);
  }
  if (record.pendingCommit) {
    // Our commit never reached the node: drop it (the caller retries).
    record = withoutPending(record);
    await saveGroup(client.store, record, undefined);
  }
  await resumePendingWelcomes(client, groupId);
  const outbox = options.publish === false ? { published: [], failed: [], pending: (await client.store.list(ConversationTables.outbox, `${groupKey(groupId)}/`)).length } : await publishOutbox(client, groupId);
  return { received, commits, skipped, outbox };
}

interface Outcome {
  readonly kind: 'own' | 'ownCommit' | 'commit' | 'application' | 'other';
  readonly state?: ClientState;
  readonly message?: StoredMessage;
  /** Our own application message came back: its key in `messages`. */
  readonly ownMessageKey?: string;
}

/** The record with `pendingRemoveInboxIds` set to the given inboxes (deduplicated; the field dropped when empty). */
function withPendingRemoval(record: StoredGroup, inboxIds: readonly string[]): StoredGroup {
  const { pendingRemoveInboxIds: _old, ...rest } = record;
  const unique = [...new Set(inboxIds)];
  return (unique.length > 0 ? { ...rest, pendingRemoveInboxIds: unique } : rest) as StoredGroup;
}

function isLeaveRequest(encodedContent: Uint8Array): boolean {
  try {
    const { type } = encodedContentFromBytes(encodedContent);
    return type !== undefined && isSameContentType(type, ContentTypeLeaveRequest);
  } catch {
    return false;
  }
}

async function processEnvelope(client: XmtpClient, state: ClientState, envelope: GroupMessage, pendingCommit: string | undefined, pendingRemovals: readonly string[]): Promise<Outcome> {
  if (envelope.version.case !== 'v1') throw new XmtpError('conversations.unsupported_envelope', 'Group message without V1');
  const { data, createdNs } = envelope.version.value;
  const groupId = state.groupContext.groupId;
  const hash = payloadKey(data);
  const sent = await client.store.get<SentPayload>(ConversationTables.sentPayloads, hash);
  if (sent) {
    if (sent.messageKey) return { kind: 'own', ownMessageKey: sent.messageKey };
    if (pendingCommit !== hash) return { kind: 'own' };
    const record = await client.store.get<{ pendingState?: Uint8Array }>(ConversationTables.groups, groupKey(groupId));
    if (!record?.pendingState) return { kind: 'own' };
    const merged = decodeClientState(record.pendingState);
    const update = diffGroupUpdate(state.groupContext.extensions, merged.groupContext.extensions, client.inboxId, pendingRemovals);
    return { kind: 'ownCommit', state: merged, ...(update ? { message: groupUpdatedMessage(groupId, update, createdNs, envelopeId(envelope)) } : {}) };
  }
  const mlsMessage = decode(mlsMessageDecoder, data);
  if (!mlsMessage || (mlsMessage.wireformat !== wireformats.mls_private_message && mlsMessage.wireformat !== wireformats.mls_public_message)) {
    throw new XmtpError('conversations.malformed_message', 'Group message is not an MLS PrivateMessage or PublicMessage');
  }
  const isApplication = mlsMessage.wireformat === wireformats.mls_private_message && mlsMessage.privateMessage.contentType === contentTypes.application;
  const sender = mlsMessage.wireformat === wireformats.mls_private_message ? await readMessageSender(client.mls.cipherSuite, state, mlsMessage.privateMessage) : undefined;
  // `state` stays exactly the state before a commit, should the commit be refused below: ts-mls
  // never changes the state it is given (it returns a new one), so no copy is made (a large group's
  // state is hundreds of KB to encode and decode). The callback only records the commit.
  let commit: IncomingCommit | undefined;
  const result = await processMessage({
    context: client.mls,
    state,
    message: mlsMessage,
    callback: (incoming) => {
      // Standalone proposals are refused, not stored: libxmtp 1.10 refuses them in groups without
      // proposal support, and ts-mls's createCommit would commit a stored one by reference in our
      // next commit (another member's proposal in our commit, which every member refuses).
      if (incoming.kind === 'proposal') return 'reject';
      commit = { committerLeafIndex: incoming.senderLeafIndex, proposals: incoming.proposals };
      return 'accept';
    },
  });
  if (result.kind === 'newState') {
    const removedUs = result.newState.groupActiveState.kind === 'removedFromGroup' && state.groupActiveState.kind !== 'removedFromGroup';
    if (result.actionTaken !== 'accept' || isApplication || !commit || (result.newState.groupContext.epoch === state.groupContext.epoch && !removedUs)) {
      return { kind: 'other', state: result.newState };
    }
    // libxmtp's commit validation (§5.4); a refused commit throws and is skipped, `state` kept.
    const validated = await validateIncomingCommit(client.api.identity, { before: state, ...(removedUs ? {} : { after: result.newState }), commit });
    if (removedUs) return { kind: 'other', state: result.newState };
    const update = diffGroupUpdate(state.groupContext.extensions, result.newState.groupContext.extensions, validated.actorInboxId, pendingRemovals);
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
