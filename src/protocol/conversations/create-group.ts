/**
 * Creates a group as libxmtp does (xmtp-wire.md §5.1–5.3): GROUP metadata (0xF000, creator inbox),
 * mutable metadata with name / description (image and app_data `""`) and the creator as the only
 * super admin (0xFF00), libxmtp's default ("All members") policy set (0xFF02), then
 * `createConversation`: one Add+GCE commit adding every installation of every member inbox (and our
 * other installations) with GroupMembership sequence ids, and a welcome per installation (X-Wing
 * when its key package has 0xFF03). An empty member list makes a group of our installations only.
 * Pure; runs everywhere.
 *
 * Guarantees: see `createConversation` (stored before published). Member inboxes without any
 * installation with a valid key package are refused (`conversations.no_installations`).
 */
import type { XmtpClient } from '../client.js';
import { XmtpError } from '../errors.js';
import { createConversation, type CreateConversationReturnType } from './create-conversation.js';
import { groupGroupExtensions } from './group-extensions.js';

export const CreateGroupErrorCodes = {
  invalidMember: 'conversations.invalid_member',
} as const;

export interface CreateGroupParameters {
  readonly name?: string;
  readonly description?: string;
  /** Inbox ids to add (ours is ignored if listed). */
  readonly memberInboxIds: readonly string[];
}

export type CreateGroupReturnType = CreateConversationReturnType;

export async function createGroup(client: XmtpClient, params: CreateGroupParameters): Promise<CreateGroupReturnType> {
  for (const m of params.memberInboxIds) {
    if (!/^[0-9a-f]{64}$/.test(m)) throw new XmtpError(CreateGroupErrorCodes.invalidMember, `Not an inbox id: ${m}`);
  }
  return createConversation(client, {
    kind: 'group',
    extensions: groupGroupExtensions({
      creatorInboxId: client.inboxId,
      ...(params.name === undefined ? {} : { name: params.name }),
      ...(params.description === undefined ? {} : { description: params.description }),
    }),
    memberInboxIds: params.memberInboxIds,
  });
}
