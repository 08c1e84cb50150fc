/**
 * Sends content to a conversation, as libxmtp does (xmtp-wire.md §7, §9.3): the codec's
 * EncodedContent in a V1 PlaintextEnvelope whose idempotency key is the send time in ns, encrypted
 * as an MLS application message, published with `should_push` from the codec and a `sender_hmac`.
 * Pure; runs everywhere.
 *
 * Guarantees: the message (as `unpublished`) and its send intent (`outbox.ts`) are stored in one
 * transaction BEFORE anything is encrypted or sent; then, as libxmtp, members' new or revoked
 * installations are brought in line if that was last checked over 5 s ago (`checkInstallations`),
 * and the group is synced, which publishes the outbox in order. A message the node could not take right now
 * stays `unpublished` and is sent by a later sync — the call then fails with a retryable
 * `conversations.message_pending`; one the node refuses for good becomes `failed`
 * (`conversations.message_refused`). Whatever is killed when, the message reaches the node once.
 */
import type { XmtpClient } from '../client.js';
import type { ContentCodec } from '../content/content-codec.js';
import { encodeContent } from '../content/encode-content.js';
import { messageId } from '../content/message-id.js';
import { encodePlaintextEnvelope, idempotencyKeyFor } from '../content/plaintext-envelope.js';
import { XmtpError } from '../errors.js';
import { ConversationTables, groupKey, loadGroup, messageKey, saveGroup, type StoredMessage } from './conversation-store.js';
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
    if (!params.skipSync) await checkInstallations(client, groupId);
    let cause: unknown;
    try {
      if (params.skipSync) cause = (await publishOutbox(client, groupId)).error;
      else cause = (await syncGroupLocked(client, groupId)).outbox.error;
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
 * first (`syncGroupInstallations`), so a new device of a member gets the message. A failure here
 * never stops the send.
 */
async function checkInstallations(client: XmtpClient, groupId: Uint8Array): Promise<void> {
  const now = client.clock.nowNs();
  const { record } = await loadGroup(client.store, groupId);
  const checked = record.installationsCheckedAtNs;
  if (typeof checked === 'bigint' && now - checked < INSTALLATION_CHECK_INTERVAL_NS) return;
  try {
    await syncGroupInstallationsLocked(client, groupId);
    const { record: after } = await loadGroup(client.store, groupId);
    await saveGroup(client.store, { ...after, installationsCheckedAtNs: now }, undefined);
  } catch {
    // Checked again before the next send.
  }
}
