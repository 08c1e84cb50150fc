/** The conversations this installation is in (local only; `syncWelcomes` finds new ones). Pure; runs everywhere. */
import type { XmtpClient } from '../client.js';
import { ConversationTables, decodeClientState, type ConversationKind, type StoredGroup } from './conversation-store.js';
import { groupLeaves } from './validate-welcome-membership.js';

export interface ConversationSummary {
  /** Hex group id. */
  readonly id: string;
  readonly groupId: Uint8Array;
  readonly kind: ConversationKind;
  readonly dmPeerInboxId: string | undefined;
  readonly epoch: bigint;
  /** Member inbox ids (from the tree), sorted. */
  readonly memberInboxIds: string[];
  readonly isActive: boolean;
  readonly createdAtNs: bigint;
}

export type ListConversationsReturnType = ConversationSummary[];

export async function listConversations(client: XmtpClient): Promise<ListConversationsReturnType> {
  const records = await client.store.list<StoredGroup>(ConversationTables.groups);
  return records.map(({ key, value }) => {
    const state = decodeClientState(value.state);
    return {
      id: key,
      groupId: value.groupId,
      kind: value.kind,
      dmPeerInboxId: value.dmPeerInboxId,
      epoch: state.groupContext.epoch,
      memberInboxIds: [...new Set(groupLeaves(state).map((l) => l.inboxId))].sort(),
      isActive: state.groupActiveState.kind === 'active',
      createdAtNs: value.createdAtNs,
    };
  });
}
