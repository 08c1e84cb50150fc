/** The conversations this installation is in (local only; `syncWelcomes` finds new ones). Pure; runs everywhere. */
import type { XmtpClient } from '../client.js';
import { ConversationTables, decodeClientState, type ConversationKind, type StoredGroup } from './conversation-store.js';
import { readMutableMetadataValue } from './group-extensions.js';
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
  /** We asked to leave (a LeaveRequest) and wait for a super admin to remove us. */
  readonly isPendingRemoval: boolean;
  /** Members (us included) who asked to leave and are still in the group. */
  readonly pendingRemovalInboxIds: string[];
  readonly createdAtNs: bigint;
  /** 0xFF00 `group_name` / `description` (groups; `""` when unset). */
  readonly name: string;
  readonly description: string;
  /** 0xFF00 admin and super-admin inbox ids. */
  readonly adminInboxIds: string[];
  readonly superAdminInboxIds: string[];
}

export type ListConversationsReturnType = ConversationSummary[];

export async function listConversations(client: XmtpClient): Promise<ListConversationsReturnType> {
  const records = await client.store.list<StoredGroup>(ConversationTables.groups);
  return records.map(({ key, value }) => {
    const state = decodeClientState(value.state);
    const metadata = readMutableMetadataValue(state.groupContext.extensions);
    return {
      id: key,
      groupId: value.groupId,
      kind: value.kind,
      dmPeerInboxId: value.dmPeerInboxId,
      epoch: state.groupContext.epoch,
      memberInboxIds: [...new Set(groupLeaves(state).map((l) => l.inboxId))].sort(),
      isActive: state.groupActiveState.kind === 'active',
      isPendingRemoval: (value.pendingRemoveInboxIds ?? []).includes(client.inboxId),
      pendingRemovalInboxIds: [...(value.pendingRemoveInboxIds ?? [])],
      createdAtNs: value.createdAtNs,
      name: metadata.attributes.group_name ?? '',
      description: metadata.attributes.description ?? '',
      adminInboxIds: [...metadata.adminInboxIds],
      superAdminInboxIds: [...metadata.superAdminInboxIds],
    };
  });
}
