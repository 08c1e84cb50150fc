/**
 * The conversations this installation is in (local only; `syncWelcomes` finds new ones). DMs with
 * the same member are stitched (`dm-stitching.ts`): listed once. Pure; runs everywhere.
 */
import type { XmtpClient } from '../client.js';
import { ConversationTables, decodeClientState, type ConversationKind, type StoredGroup } from './conversation-store.js';
import { readMutableMetadataValue } from './group-extensions.js';
import { groupLeaves } from './validate-welcome-membership.js';
import { sortByActivity } from './dm-stitching.js';

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
  /** DMs: the other DM groups with the same member, stitched into this one (their messages are listed with it). */
  readonly duplicateDmIds: string[];
}

export type ListConversationsReturnType = ConversationSummary[];

export async function listConversations(client: XmtpClient): Promise<ListConversationsReturnType> {
  const all = await client.store.list<StoredGroup>(ConversationTables.groups);
  // DM stitching: one entry per other member, the most recently active of its DM groups.
  const dms = new Map<string, { key: string; value: StoredGroup }[]>();
  for (const g of all) if (g.value.kind === 'dm' && g.value.dmPeerInboxId) dms.set(g.value.dmPeerInboxId, [...(dms.get(g.value.dmPeerInboxId) ?? []), g]);
  const hidden = new Set<string>();
  const duplicates = new Map<string, string[]>();
  for (const groups of dms.values()) {
    const [shown, ...rest] = sortByActivity(groups);
    for (const r of rest) hidden.add(r.key);
    duplicates.set(shown!.key, rest.map((r) => r.key));
  }
  const records = all.filter((g) => !hidden.has(g.key));
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
      duplicateDmIds: duplicates.get(key) ?? [],
    };
  });
}
