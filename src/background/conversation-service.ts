/**
 * The background's conversation service: DMs and messages for the popup channel, on the protocol
 * core (src/protocol/conversations/*) over the identity service's `XmtpClient`. Runs in the service
 * worker (and in Node tests).
 *
 * Guarantees:
 * - keys never leave the background: results carry ids, sender inbox ids, content types and text only
 *   (bigint timestamps as decimal strings, so they survive the extension message channel);
 * - all state (group state, cursors, messages, key-package secrets) is in the Store, so a restarted
 *   worker continues where the last one stopped;
 * - before `identity.create` every method fails with `identity.not_found`; a DM to an address with
 *   no inbox fails with `conversations.peer_not_found`.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import type { XmtpClient } from '../protocol/client.js';
import { createDm } from '../protocol/conversations/create-dm.js';
import { listConversations } from '../protocol/conversations/list-conversations.js';
import { listMessages } from '../protocol/conversations/list-messages.js';
import { sendText } from '../protocol/conversations/send-text.js';
import { syncAll } from '../protocol/conversations/sync-all.js';
import { XmtpError } from '../protocol/errors.js';
import type {
  ConversationDmParams,
  ConversationInfo,
  ConversationParams,
  ConversationsSyncResult,
  MessageInfo,
  MessageSendParams,
} from '../messaging/popup-protocol.js';

export const ConversationServiceErrorCodes = {
  /** The address has no XMTP inbox on the node. */
  peerNotFound: 'conversations.peer_not_found',
} as const;

export interface ConversationServiceDeps {
  /** The client over the registered identity (IdentityService.client). */
  readonly client: () => Promise<XmtpClient>;
}

export interface ConversationService {
  sync(): Promise<ConversationsSyncResult>;
  list(): Promise<ConversationInfo[]>;
  dm(params: ConversationDmParams): Promise<{ conversationId: string; created: boolean }>;
  messages(params: ConversationParams): Promise<MessageInfo[]>;
  send(params: MessageSendParams): Promise<{ messageId: string }>;
}

/** Identifier kind 0 in the identity API: an Ethereum address. */
const ETHEREUM_IDENTIFIER = 0;

export function createConversationService(deps: ConversationServiceDeps): ConversationService {
  return {
    async sync() {
      const client = await deps.client();
      const synced = await syncAll(client);
      const first = synced.failed[0];
      if (first) throw first.error;
      const conversations = (await listConversations(client)).length;
      return { joined: synced.joined.length, conversations, messages: synced.received, skipped: synced.skipped };
    },

    async list() {
      const client = await deps.client();
      return (await listConversations(client)).map((c) => ({
        id: c.id,
        kind: c.kind,
        peerInboxId: c.dmPeerInboxId ?? null,
        memberInboxIds: c.memberInboxIds,
        name: c.name,
        isActive: c.isActive,
        createdAtNs: c.createdAtNs.toString(),
      }));
    },

    async dm({ peer }) {
      const client = await deps.client();
      const peerInboxId = peer.startsWith('0x') ? await resolveAddress(client, peer) : peer;
      const dm = await createDm(client, { peerInboxId });
      return { conversationId: dm.id, created: dm.created };
    },

    async messages({ conversationId }) {
      const client = await deps.client();
      return (await listMessages(client, { groupId: hexToBytes(conversationId) })).map((m) => ({
        id: m.id,
        conversationId: m.conversationId,
        senderInboxId: m.senderInboxId,
        sentAtNs: m.sentAtNs.toString(),
        contentType: m.contentType ?? null,
        text: typeof m.content === 'string' ? m.content : (m.fallback ?? null),
      }));
    },

    async send({ conversationId, text }) {
      const client = await deps.client();
      const { messageId } = await sendText(client, { groupId: hexToBytes(conversationId), text });
      return { messageId };
    },
  };
}

async function resolveAddress(client: XmtpClient, address: string): Promise<string> {
  const { responses } = await client.api.identity.getInboxIds({ requests: [{ identifier: address, identifierKind: ETHEREUM_IDENTIFIER }] });
  const inboxId = responses.find((r) => r.identifier.toLowerCase() === address)?.inboxId;
  if (!inboxId) throw new XmtpError(ConversationServiceErrorCodes.peerNotFound, `No XMTP inbox for ${address} on this node`);
  return inboxId;
}
