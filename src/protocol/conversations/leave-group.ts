/**
 * Leaving a group, as libxmtp 1.10 does it (`groups/mod.rs leave_group`, `mls_sync.rs
 * process_leave_request_message`, `worker/pending_self_remove.rs`): MLS has no way to remove
 * yourself in XMTP's groups, so the leaver sends a LeaveRequest (`xmtp.org/leave_request:1.0`, an
 * ordinary application message) and a super admin's client removes it. Pure; runs everywhere.
 *
 * - `leaveGroup`: refused for a DM, for the only member, and for a super admin (who must be demoted
 *   first: super admins cannot remove each other); otherwise sends the LeaveRequest once and the
 *   group is pending removal for us (`isPendingRemoval` in listConversations) until a commit removes
 *   us.
 * - Every member records who asked (`StoredGroup.pendingRemoveInboxIds`, kept by `syncGroupLocked`;
 *   a commit that removes them lists them as "left" in its GroupUpdated, as libxmtp).
 * - `removeMembersPendingRemovalLocked`, run by `syncGroup` after each sync: when we are a super
 *   admin and other members asked to leave, one commit removes them (libxmtp's worker does the same
 *   every 2 s).
 */
import type { XmtpClient } from '../client.js';
import { leaveRequestCodec } from '../content/leave-request-codec.js';
import { XmtpError } from '../errors.js';
import { ConversationTables, groupKey, loadGroup, saveGroup, type StoredGroup } from './conversation-store.js';
import { readGroupMembership, readMutableMetadataValue } from './group-extensions.js';
import { sendContent } from './send-content.js';
import { commitToGroupLocked, removePlan, type UpdateGroupReturnType } from './update-group.js';

export const LeaveGroupErrorCodes = {
  dm: 'conversations.dm_leave_forbidden',
  onlyMember: 'conversations.single_member_leave',
  superAdmin: 'conversations.super_admin_cannot_leave',
  inactive: 'conversations.group_inactive',
} as const;

export interface LeaveGroupParameters {
  readonly groupId: Uint8Array;
}

export interface LeaveGroupReturnType {
  readonly isPendingRemoval: true;
  /** The LeaveRequest's message id (undefined when it had been sent before). */
  readonly messageId?: string;
}

export async function leaveGroup(client: XmtpClient, { groupId }: LeaveGroupParameters): Promise<LeaveGroupReturnType> {
  const { record, state } = await loadGroup(client.store, groupId);
  if (record.kind === 'dm') throw new XmtpError(LeaveGroupErrorCodes.dm, 'A DM cannot be left');
  if (state.groupActiveState.kind !== 'active') throw new XmtpError(LeaveGroupErrorCodes.inactive, `Group ${groupKey(groupId)} is not active`);
  const members = Object.keys(readGroupMembership(state.groupContext.extensions).members);
  if (members.length <= 1) throw new XmtpError(LeaveGroupErrorCodes.onlyMember, 'The only member of a group cannot leave it');
  if (readMutableMetadataValue(state.groupContext.extensions).superAdminInboxIds.includes(client.inboxId)) {
    throw new XmtpError(LeaveGroupErrorCodes.superAdmin, 'A super admin cannot leave: another super admin must demote it first');
  }
  if (record.pendingRemoveInboxIds?.includes(client.inboxId)) return { isPendingRemoval: true };
  const sent = await sendContent(client, { groupId, codec: leaveRequestCodec, content: {} });
  await client.lock(groupKey(groupId), async () => {
    const { record: now } = await loadGroup(client.store, groupId);
    const asked = [...new Set([...(now.pendingRemoveInboxIds ?? []), client.inboxId])];
    await saveGroup(client.store, { ...now, pendingRemoveInboxIds: asked }, undefined);
  });
  return { isPendingRemoval: true, messageId: sent.messageId };
}

/**
 * When we are a super admin, removes (one commit) the members who asked to leave; the caller holds
 * the group's lock. Returns who was removed, or undefined when there was nothing to do.
 */
export async function removeMembersPendingRemovalLocked(client: XmtpClient, groupId: Uint8Array): Promise<{ readonly inboxIds: readonly string[]; readonly commit: UpdateGroupReturnType } | undefined> {
  const record = await client.store.get<StoredGroup>(ConversationTables.groups, groupKey(groupId));
  const asked = (record?.pendingRemoveInboxIds ?? []).filter((m) => m !== client.inboxId);
  if (!record || asked.length === 0 || record.kind === 'dm') return undefined;
  const { state } = await loadGroup(client.store, groupId);
  if (state.groupActiveState.kind !== 'active') return undefined;
  const { superAdminInboxIds } = readMutableMetadataValue(state.groupContext.extensions);
  if (!superAdminInboxIds.includes(client.inboxId)) return undefined;
  const members = readGroupMembership(state.groupContext.extensions).members;
  // A super admin can never be removed (its request is ignored until it is demoted).
  const leaving = asked.filter((m) => members[m] !== undefined && !superAdminInboxIds.includes(m));
  if (leaving.length === 0) return undefined;
  return { inboxIds: leaving, commit: await commitToGroupLocked(client, groupId, removePlan(leaving)) };
}
