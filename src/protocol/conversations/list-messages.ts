/**
 * A conversation's stored messages in display order (by sent time), decoded with the client's
 * content registry; content of an unknown type (or that its codec refuses) comes back as `unknown`
 * with its fallback text. A DM's list includes the messages of every DM group with the same member
 * (stitching, `dm-stitching.ts`); each message keeps its own group's id as `conversationId`. Local
 * only (call `syncGroup` first for news). Pure; runs everywhere.
 */
import type { XmtpClient } from '../client.js';
import { decodeContent } from '../content/decode-content.js';
import { formatContentTypeId } from '../content/content-type-id.js';
import { ConversationTables, groupKey, type StoredGroup, type StoredMessage } from './conversation-store.js';
import { dmGroupsWith } from './dm-stitching.js';

export interface ListMessagesParameters {
  readonly groupId: Uint8Array;
}

export interface DecodedMessage {
  readonly id: string;
  readonly conversationId: string;
  readonly senderInboxId: string;
  readonly sentAtNs: bigint;
  /** `authority/type:major.minor`, or undefined when the content names no type. */
  readonly contentType: string | undefined;
  /** The decoded value (a string for text), or undefined for content we cannot decode. */
  readonly content: unknown;
  readonly fallback: string | undefined;
  readonly deliveryStatus: StoredMessage['deliveryStatus'];
}

export type ListMessagesReturnType = DecodedMessage[];

export async function listMessages(client: XmtpClient, { groupId }: ListMessagesParameters): Promise<ListMessagesReturnType> {
  const group = await client.store.get<StoredGroup>(ConversationTables.groups, groupKey(groupId));
  // A DM lists the messages of every DM group with the same member (stitching, dm-stitching.ts).
  const ids = group?.kind === 'dm' && group.dmPeerInboxId ? (await dmGroupsWith(client, group.dmPeerInboxId)).map((g) => g.key) : [groupKey(groupId)];
  const records = (await Promise.all(ids.map((id) => client.store.list<StoredMessage>(ConversationTables.messages, `${id}/`)))).flat();
  if (ids.length > 1) records.sort((a, b) => (a.value.sentAtNs < b.value.sentAtNs ? -1 : a.value.sentAtNs > b.value.sentAtNs ? 1 : a.key.localeCompare(b.key)));
  return Promise.all(records.map(({ value }) => decodeStoredMessage(client, value)));
}

/** One stored message by id, decoded (undefined if there is none). */
export async function getMessage(client: XmtpClient, { id }: { readonly id: string }): Promise<DecodedMessage | undefined> {
  const key = await client.store.get<string>(ConversationTables.messageIds, id);
  const m = key === undefined ? undefined : await client.store.get<StoredMessage>(ConversationTables.messages, key);
  return m && decodeStoredMessage(client, m);
}

async function decodeStoredMessage(client: XmtpClient, m: StoredMessage): Promise<DecodedMessage> {
  const decoded = await decodeContent(client.contentRegistry, m.encodedContent, { onInvalid: 'unknown' });
  return {
    id: m.id,
    conversationId: m.groupId,
    senderInboxId: m.senderInboxId,
    sentAtNs: m.sentAtNs,
    contentType: decoded.contentType ? formatContentTypeId(decoded.contentType) : undefined,
    content: decoded.kind === 'content' ? decoded.content : undefined,
    fallback: decoded.fallback,
    deliveryStatus: m.deliveryStatus,
  };
}
