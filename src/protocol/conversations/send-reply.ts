/**
 * Replies and reactions to a stored message, as libxmtp's SDK sends them: `reference` = the message's
 * id, `referenceInboxId` = its sender's inbox id, both taken from our store (sync first to see new
 * messages). A reply wraps text (`xmtp.org/reply:1.0` around `xmtp.org/text:1.0`); a reaction is
 * `xmtp.org/reaction:2.0` (unicode schema by default). Both go through `sendContent`. Pure; runs
 * everywhere.
 */
import type { XmtpClient } from '../client.js';
import { ReactionAction, ReactionSchema, reactionCodec } from '../content/reaction-codec.js';
import { replyCodec } from '../content/reply-codec.js';
import { textCodec } from '../content/text-codec.js';
import { XmtpError } from '../errors.js';
import { ConversationTables, groupKey, type StoredMessage } from './conversation-store.js';
import { sendContent, type SendContentReturnType } from './send-content.js';

export { ReactionAction, ReactionSchema };

export const SendReplyErrorCodes = {
  unknownMessage: 'conversations.unknown_message',
} as const;

/** A stored message of the conversation by its (hex) id. */
export async function findStoredMessage(client: XmtpClient, groupId: Uint8Array, messageId: string): Promise<StoredMessage> {
  const records = await client.store.list<StoredMessage>(ConversationTables.messages, `${groupKey(groupId)}/`);
  const found = records.find((r) => r.value.id === messageId);
  if (!found) throw new XmtpError(SendReplyErrorCodes.unknownMessage, `No message ${messageId} in conversation ${groupKey(groupId)} (sync first?)`);
  return found.value;
}

export interface SendReplyParameters {
  readonly groupId: Uint8Array;
  /** The hex id of the message replied to. */
  readonly messageId: string;
  readonly text: string;
}

export async function sendReply(client: XmtpClient, { groupId, messageId, text }: SendReplyParameters): Promise<SendContentReturnType> {
  const target = await findStoredMessage(client, groupId, messageId);
  return sendContent(client, {
    groupId,
    codec: replyCodec,
    content: { reference: target.id, referenceInboxId: target.senderInboxId, content: textCodec.encode(text) },
  });
}

export interface SendReactionParameters {
  readonly groupId: Uint8Array;
  /** The hex id of the message reacted to. */
  readonly messageId: string;
  readonly emoji: string;
  /** Default `added`. */
  readonly action?: 'added' | 'removed';
  /** Default `unicode`. */
  readonly schema?: 'unicode' | 'shortcode' | 'custom';
}

export async function sendReaction(client: XmtpClient, params: SendReactionParameters): Promise<SendContentReturnType> {
  const target = await findStoredMessage(client, params.groupId, params.messageId);
  const schema = { unicode: ReactionSchema.UNICODE, shortcode: ReactionSchema.SHORTCODE, custom: ReactionSchema.CUSTOM }[params.schema ?? 'unicode'];
  return sendContent(client, {
    groupId: params.groupId,
    codec: reactionCodec,
    content: {
      reference: target.id,
      referenceInboxId: target.senderInboxId,
      action: params.action === 'removed' ? ReactionAction.REMOVED : ReactionAction.ADDED,
      content: params.emoji,
      schema,
    },
  });
}
