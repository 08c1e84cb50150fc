/**
 * Sends content to a conversation, as libxmtp does (xmtp-wire.md §7): the codec's EncodedContent in
 * a V1 PlaintextEnvelope whose idempotency key is the send time in ns, encrypted as an MLS
 * application message, published with `should_push` from the codec and a `sender_hmac`. The group
 * is synced first (libxmtp syncs before publishing). Pure; runs everywhere.
 *
 * Guarantees: the advanced MLS state, the payload hash (so the echo is skipped, T9) and the message
 * (as `unpublished`) are stored in one transaction BEFORE anything is sent; after the node accepts
 * it the message becomes `published`. A failed send leaves an `unpublished` message (no retry yet).
 */
import { createApplicationMessage, encode, mlsMessageEncoder } from 'ts-mls';
import type { XmtpClient } from '../client.js';
import type { ContentCodec } from '../content/content-codec.js';
import { encodeContent } from '../content/encode-content.js';
import { messageId } from '../content/message-id.js';
import { encodePlaintextEnvelope, idempotencyKeyFor } from '../content/plaintext-envelope.js';
import { ConversationTables, groupKey, loadGroup, messageKey, payloadKey, saveGroup, type StoredMessage } from './conversation-store.js';
import { senderHmac } from './sender-hmac.js';
import { syncGroupLocked } from './sync-group.js';

export interface SendContentParameters<T> {
  readonly groupId: Uint8Array;
  readonly codec: ContentCodec<T>;
  readonly content: T;
  /** Skip the sync before sending (default: sync). */
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
    if (!params.skipSync) await syncGroupLocked(client, groupId);
    const { record, state } = await loadGroup(client.store, groupId);
    const { bytes, shouldPush } = encodeContent(params.codec, params.content);
    const sentAtNs = client.clock.nowNs();
    const idempotencyKey = idempotencyKeyFor(sentAtNs);
    const { newState, message } = await createApplicationMessage({
      context: client.mls,
      state,
      message: encodePlaintextEnvelope({ content: bytes, idempotencyKey }),
    });
    const data = encode(mlsMessageEncoder, message);
    const stored: StoredMessage = {
      id: messageId(groupId, idempotencyKey, bytes),
      groupId: groupKey(groupId),
      senderInboxId: client.inboxId,
      sentAtNs,
      encodedContent: bytes,
      deliveryStatus: 'unpublished',
    };
    const key = messageKey(stored.groupId, sentAtNs, stored.id);
    await saveGroup(client.store, record, newState, (tx) => {
      tx.put(ConversationTables.sentPayloads, payloadKey(data), { groupId: stored.groupId });
      tx.put(ConversationTables.messages, key, stored);
    });
    await client.api.mls.sendGroupMessages({
      messages: [{ version: { case: 'v1', value: { data, senderHmac: senderHmac({ hmacRootKey: client.hmacRootKey, groupId, data, nowNs: sentAtNs }), shouldPush } } }],
    });
    await client.store.put(ConversationTables.messages, key, { ...stored, deliveryStatus: 'published' });
    return { messageId: stored.id, sentAtNs };
  });
}
