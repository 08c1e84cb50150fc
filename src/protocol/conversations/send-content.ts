/**
 * Sends content to a conversation, as libxmtp does (xmtp-wire.md §7, §9.3): the codec's
 * EncodedContent in a V1 PlaintextEnvelope whose idempotency key is the send time in ns, encrypted
 * as an MLS application message, published with `should_push` from the codec and a `sender_hmac`.
 * Pure; runs everywhere.
 *
 * Guarantees: the message (as `unpublished`) and its send intent (`outbox.ts`) are stored in one
 * transaction BEFORE anything is encrypted or sent; then, as libxmtp, members' new or revoked
 * installations are brought in line if that was last checked over 5 s ago (their identity logs are
 * read while the group is synced; a commit only when one moved), then the outbox is published in
 * order. A message the node could not take right now stays `unpublished` and is sent by a later
 * sync — the call then fails with a retryable
 * `conversations.message_pending`; one the node refuses for good becomes `failed`
 * (`conversations.message_refused`). Whatever is killed when, the message reaches the node once.
 */
import type { ClientState } from 'ts-mls';
import type { XmtpClient } from '../client.js';
import type { ContentCodec } from '../content/content-codec.js';
import { encodeContent } from '../content/encode-content.js';
import { messageId } from '../content/message-id.js';
import { encodePlaintextEnvelope, idempotencyKeyFor } from '../content/plaintext-envelope.js';
import { XmtpError } from '../errors.js';
import { ConversationTables, groupKey, loadGroup, messageKey, saveGroup, type StoredGroup, type StoredMessage } from './conversation-store.js';
import { readGroupMembership } from './group-extensions.js';
import { fetchInboxLogs } from './inbox-log.js';
import { OutboxErrorCodes, publishOutbox, type OutboxEntry } from './outbox.js';
import { syncGroupLocked } from './sync-group.js';
import { INSTALLATION_CHECK_INTERVAL_NS, syncGroupInstallationsLocked } from './update-group.js';

export interface SendContentParameters<T> {
  readonly groupId: Uint8Array;
  readonly codec: ContentCodec<T>;
  readonly content: T;
  /** Skip reading the group before sending (default: sync); the outbox is published either way. */
  readonly skipSync?: boolean;
}

export interface SendContentReturnType {
  /** libxmtp's message id (hex). */
  readonly messageId: string;
  readonly sentAtNs: bigint;
}

export function sendContent<T>(client: XmtpClient, params: SendContentParameters<T>): Promise<SendContentReturnType> {
  const { groupId } = params;
  return client.lock(groupKey(groupId), async () => {
    const { record, state } = await loadGroup(client.store, groupId);
    if (state.groupActiveState.kind !== 'active') throw new XmtpError('conversations.group_inactive', `Group ${groupKey(groupId)} is not active`);
    const { bytes, shouldPush } = encodeContent(params.codec, params.content);
    const sentAtNs = client.clock.nowNs();
    const idempotencyKey = idempotencyKeyFor(sentAtNs);
    const stored: StoredMessage = {
      id: messageId(groupId, idempotencyKey, bytes),
      groupId: groupKey(groupId),
      senderInboxId: client.inboxId,
      sentAtNs,
      encodedContent: bytes,
      deliveryStatus: 'unpublished',
    };
    const key = messageKey(stored.groupId, sentAtNs, stored.id);
    const entry: OutboxEntry = { plaintext: encodePlaintextEnvelope({ content: bytes, idempotencyKey }), shouldPush, attempts: 0 };
    await client.store.transaction((tx) => {
      tx.put(ConversationTables.groups, stored.groupId, { ...record, lastMessageAtNs: sentAtNs });
      tx.put(ConversationTables.messages, key, stored);
      tx.put(ConversationTables.messageIds, stored.id, key);
      tx.put(ConversationTables.outbox, key, entry);
    });
    let cause: unknown;
    try {
      if (params.skipSync) cause = (await publishOutbox(client, groupId)).error;
      else {
        // The members' identity logs (when a check is due) are read while the group is.
        const check = readInstallationCheck(client, record, state);
        await syncGroupLocked(client, groupId, { publish: false });
        await completeInstallationCheck(client, groupId, await check);
        cause = (await publishOutbox(client, groupId)).error;
      }
    } catch (error) {
      cause = error;
    }
    const now = await client.store.get<StoredMessage>(ConversationTables.messages, key);
    if (now?.deliveryStatus === 'published') return { messageId: stored.id, sentAtNs };
    if (now?.deliveryStatus === 'failed') throw new XmtpError(OutboxErrorCodes.refused, `The node refused message ${stored.id}`, { cause });
    throw new XmtpError(OutboxErrorCodes.notSentYet, `Message ${stored.id} is saved and will be sent when the node can be reached`, { retryable: true, cause });
  });
}

/**
 * libxmtp's check before a send: when the members' installations were last checked more than
 * `INSTALLATION_CHECK_INTERVAL_NS` ago, add members' new installations and remove revoked ones
 * first (`syncGroupInstallations`), so a new device of a member gets the message. The members'
 * identity logs are read first (during the sync), against the group's 0xFF01 as we held it: only
 * when an inbox moved past its sequence id is a commit made (it syncs and re-reads them); most
 * checks find nothing and cost no extra round trip. A failure here never stops the send.
 */
async function readInstallationCheck(client: XmtpClient, record: StoredGroup, state: ClientState): Promise<InstallationCheck | undefined> {
  const atNs = client.clock.nowNs();
  const checked = record.installationsCheckedAtNs;
  if (typeof checked === 'bigint' && atNs - checked < INSTALLATION_CHECK_INTERVAL_NS) return undefined;
  try {
    const { members } = readGroupMembership(state.groupContext.extensions);
    const logs = await fetchInboxLogs(client.api.identity, Object.keys(members));
    return { atNs, moved: [...logs].some(([inboxId, log]) => log.latestSequenceId > (members[inboxId] ?? 0n)) };
  } catch {
    return { atNs, moved: undefined };
  }
}

interface InstallationCheck {
  readonly atNs: bigint;
  /** Whether an inbox moved; undefined when its logs could not be read. */
  readonly moved: boolean | undefined;
}

async function completeInstallationCheck(client: XmtpClient, groupId: Uint8Array, check: InstallationCheck | undefined): Promise<void> {
  if (check?.moved === undefined) return; // not due, or checked again before the next send
  try {
    if (check.moved) await syncGroupInstallationsLocked(client, groupId);
    const { record } = await loadGroup(client.store, groupId);
    await saveGroup(client.store, { ...record, installationsCheckedAtNs: check.atNs }, undefined);
  } catch {
    // Checked again before the next send.
  }
}
