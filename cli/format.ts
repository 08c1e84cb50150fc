/**
 * The command-line client's JSON shapes, mirroring interop/libxmtp-peer.mjs (the libxmtp peer) field
 * for field where our engine knows the value: conversations as in the peer's `list`, messages as in
 * its `messages` (reactions attached to the message they react to, replies counted), and `toJson`
 * (bigints as decimal strings, bytes as hex, undefined fields dropped). Node only.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { XmtpClient } from '../src/protocol/client.js';
import { ConversationTables, decodeClientState, type StoredGroup } from '../src/protocol/conversations/conversation-store.js';
import { readMutableMetadata } from '../src/protocol/conversations/group-extensions.js';
import type { DecodedMessage } from '../src/protocol/conversations/list-messages.js';
import { groupLeaves } from '../src/protocol/conversations/validate-welcome-membership.js';
import { decodeContent } from '../src/protocol/content/decode-content.js';
import { formatContentTypeId } from '../src/protocol/content/content-type-id.js';
import { ReactionAction, type Reaction } from '../src/protocol/content/reaction-codec.js';
import type { Reply } from '../src/protocol/content/reply-codec.js';
import type { GroupUpdated } from '../src/protocol/content/group-updated-codec.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** bigint → decimal string, Uint8Array → hex, undefined fields dropped (as the peer's `plain`). */
export function toJson(value: unknown): Json {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => toJson(v));
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== 'function') out[k] = toJson(v);
    return out;
  }
  if (typeof value === 'function') return null;
  return value as string | number | boolean;
}

// ---------- conversations ----------

export interface MemberJson {
  inboxId: string;
  installationIds: string[];
  permissionLevel: 'Member' | 'Admin' | 'SuperAdmin';
  consentState: string;
}

export interface ConversationJson {
  id: string;
  type: 'dm' | 'group';
  name: string | null;
  description?: string;
  peerInboxId?: string;
  consentState: string;
  isActive: boolean;
  createdAtNs: bigint;
  admins?: string[];
  superAdmins?: string[];
  members: MemberJson[];
}

/**
 * A stored conversation in the peer's `list` shape. Consent is not modelled by our engine yet: a
 * conversation we created counts as `Allowed`, one we were invited to as `Unknown` (libxmtp's
 * defaults before any consent action); members' consent likewise (`Allowed` for us, else `Unknown`).
 */
export function formatConversation(client: XmtpClient, id: string, record: StoredGroup): ConversationJson {
  const state = decodeClientState(record.state);
  const mutable = readMutableMetadata(state.groupContext.extensions);
  const admins = mutable?.adminList?.inboxIds ?? [];
  const superAdmins = mutable?.superAdminList?.inboxIds ?? [];
  const byInbox = new Map<string, string[]>();
  for (const leaf of groupLeaves(state)) {
    const list = byInbox.get(leaf.inboxId) ?? [];
    list.push(bytesToHex(leaf.installationKey));
    byInbox.set(leaf.inboxId, list);
  }
  const isGroup = record.kind === 'group';
  const isActive = state.groupActiveState.kind === 'active';
  return {
    id,
    type: record.kind,
    name: isGroup ? (mutable?.attributes.group_name ?? '') : null,
    description: isGroup ? (mutable?.attributes.description ?? '') : undefined,
    peerInboxId: isGroup ? undefined : record.dmPeerInboxId,
    consentState: record.addedByInboxId === client.inboxId ? 'Allowed' : 'Unknown',
    isActive,
    createdAtNs: record.createdAtNs,
    admins: isGroup ? admins : undefined,
    superAdmins: isGroup ? superAdmins : undefined,
    members: [...byInbox].map(([inboxId, installationIds]) => ({
      inboxId,
      installationIds: installationIds.sort(),
      permissionLevel: superAdmins.includes(inboxId) ? 'SuperAdmin' : admins.includes(inboxId) ? 'Admin' : 'Member',
      consentState: inboxId === client.inboxId ? 'Allowed' : 'Unknown',
    })),
  };
}

export async function listConversationRecords(client: XmtpClient): Promise<{ id: string; record: StoredGroup }[]> {
  return (await client.store.list<StoredGroup>(ConversationTables.groups)).map(({ key, value }) => ({ id: key, record: value }));
}

// ---------- messages ----------

export interface ReactionJson {
  id: string;
  senderInboxId: string;
  action: string;
  content: string;
  sentAtNs: bigint;
}

export interface MessageJson {
  id: string;
  conversationId: string;
  senderInboxId: string;
  contentType: string | null;
  kind: 'Application' | 'MembershipChange';
  deliveryStatus: 'Published' | 'Unpublished' | 'Failed';
  content: unknown;
  fallback?: string;
  text: string;
  sentAtNs: bigint;
  numReplies: number;
  reactions: ReactionJson[];
}

const typeIdOf = (contentType: string | undefined): string | undefined => /^[^/]*\/([^:]+):/.exec(contentType ?? '')?.[1];
const isReaction = (m: DecodedMessage): boolean => typeIdOf(m.contentType) === 'reaction' && typeof m.content === 'object' && m.content !== null;
const isReply = (m: DecodedMessage): boolean => typeIdOf(m.contentType) === 'reply' && typeof m.content === 'object' && m.content !== null;

const actionName = (action: ReactionAction): string => (action === ReactionAction.ADDED ? 'Added' : action === ReactionAction.REMOVED ? 'Removed' : 'Unknown');

/** Plain content for JSON: a reply as libxmtp's enriched reply, a reaction with its action's name. */
async function formatContent(client: XmtpClient, m: DecodedMessage, byId: Map<string, DecodedMessage>): Promise<{ content: unknown; text: string }> {
  if (typeof m.content === 'string') return { content: m.content, text: m.content };
  if (isReply(m)) {
    const reply = m.content as Reply;
    const inner = await decodeContent(client.contentRegistry, reply.content, { onInvalid: 'unknown' });
    const innerContent = inner.kind === 'content' ? inner.content : null;
    const parent = byId.get(reply.reference);
    return {
      content: {
        referenceId: reply.reference,
        content: innerContent,
        contentType: inner.contentType ? formatContentTypeId(inner.contentType) : null,
        inReplyTo: parent ? { id: parent.id, senderInboxId: parent.senderInboxId } : null,
      },
      text: typeof innerContent === 'string' ? innerContent : (m.fallback ?? ''),
    };
  }
  if (typeIdOf(m.contentType) === 'group_updated' && typeof m.content === 'object' && m.content !== null) {
    // libxmtp's shape: inbox lists as [{inboxId}]
    const u = m.content as GroupUpdated;
    const inboxes = (ids: readonly string[]) => ids.map((inboxId) => ({ inboxId }));
    return {
      content: {
        initiatedByInboxId: u.initiatedByInboxId,
        addedInboxes: inboxes(u.addedInboxes),
        removedInboxes: inboxes(u.removedInboxes),
        leftInboxes: inboxes(u.leftInboxes),
        metadataFieldChanges: u.metadataFieldChanges,
        addedAdminInboxes: inboxes(u.addedAdminInboxes),
        removedAdminInboxes: inboxes(u.removedAdminInboxes),
        addedSuperAdminInboxes: inboxes(u.addedSuperAdminInboxes),
        removedSuperAdminInboxes: inboxes(u.removedSuperAdminInboxes),
      },
      text: m.fallback ?? '',
    };
  }
  if (isReaction(m)) {
    const r = m.content as Reaction;
    return { content: { ...r, action: actionName(r.action) }, text: r.content };
  }
  return { content: m.content ?? null, text: m.fallback ?? '' };
}

export async function formatMessage(client: XmtpClient, m: DecodedMessage, all: readonly DecodedMessage[] = [m]): Promise<MessageJson> {
  const byId = new Map(all.map((x) => [x.id, x]));
  const { content, text } = await formatContent(client, m, byId);
  const reactions = all
    .filter((x) => isReaction(x) && (x.content as Reaction).reference === m.id)
    .map((x) => {
      const r = x.content as Reaction;
      return { id: x.id, senderInboxId: x.senderInboxId, action: actionName(r.action), content: r.content, sentAtNs: x.sentAtNs };
    });
  return {
    id: m.id,
    conversationId: m.conversationId,
    senderInboxId: m.senderInboxId,
    contentType: m.contentType ?? null,
    kind: typeIdOf(m.contentType) === 'group_updated' ? 'MembershipChange' : 'Application',
    deliveryStatus: m.deliveryStatus === 'published' ? 'Published' : m.deliveryStatus === 'failed' ? 'Failed' : 'Unpublished',
    content,
    fallback: m.fallback,
    text,
    sentAtNs: m.sentAtNs,
    numReplies: all.filter((x) => isReply(x) && (x.content as Reply).reference === m.id).length,
    reactions,
  };
}

/** A conversation's messages as the peer lists them: oldest first, reactions attached, not listed. */
export async function formatMessages(client: XmtpClient, messages: readonly DecodedMessage[]): Promise<MessageJson[]> {
  return Promise.all(messages.filter((m) => !isReaction(m)).map((m) => formatMessage(client, m, messages)));
}

/** Best-effort text of a message as the peer matches it in `wait-message` (reaction: its emoji). */
export async function messageText(client: XmtpClient, m: DecodedMessage): Promise<string> {
  return (await formatContent(client, m, new Map())).text;
}
