/**
 * The GroupUpdated transcript entry (`xmtp.org/group_updated:1.0`, never sent: synthesised by every
 * member, xmtp-wire.md §7.4) for a commit, computed from the group context before and after it:
 * - added / removed inboxes: inboxes that appear in / disappear from GroupMembership (0xFF01); a
 *   removed inbox that had asked to leave (a LeaveRequest) is listed as left instead, as libxmtp;
 * - metadata field changes: every 0xFF00 attribute whose value changed (old/new, absent → omitted);
 * - admin and super-admin list changes (0xFF00).
 * A commit that changes none of these (a key update) yields no entry, as libxmtp. The stored message
 * has libxmtp's id (`groupUpdatedMessageId`: envelope timestamp as the key), the committer's inbox
 * as sender and the envelope timestamp as sent time. Pure; runs everywhere.
 */
import type { GroupContextExtension } from 'ts-mls';
import { encodeContent } from '../content/encode-content.js';
import { groupUpdatedCodec, type GroupUpdated, type MetadataFieldChange } from '../content/group-updated-codec.js';
import { groupUpdatedMessageId } from '../content/message-id.js';
import { groupKey, type StoredMessage } from './conversation-store.js';
import { readGroupMembership, readMutableMetadataValue } from './group-extensions.js';

function membersOf(extensions: readonly GroupContextExtension[]): string[] {
  try {
    return Object.keys(readGroupMembership(extensions).members);
  } catch {
    return [];
  }
}

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

/** The GroupUpdated a commit from `initiatedByInboxId` makes, or undefined when nothing visible changed. */
export function diffGroupUpdate(
  before: readonly GroupContextExtension[],
  after: readonly GroupContextExtension[],
  initiatedByInboxId: string,
  pendingRemoveInboxIds: readonly string[] = [],
): GroupUpdated | undefined {
  const oldMembers = membersOf(before);
  const newMembers = membersOf(after);
  const oldMeta = readMutableMetadataValue(before);
  const newMeta = readMutableMetadataValue(after);
  const metadataFieldChanges: MetadataFieldChange[] = [];
  for (const field of new Set([...Object.keys(oldMeta.attributes), ...Object.keys(newMeta.attributes)])) {
    const oldValue = oldMeta.attributes[field];
    const newValue = newMeta.attributes[field];
    if (oldValue !== newValue) metadataFieldChanges.push({ fieldName: field, ...(oldValue === undefined ? {} : { oldValue }), ...(newValue === undefined ? {} : { newValue }) });
  }
  const update: GroupUpdated = {
    initiatedByInboxId,
    addedInboxes: minus(newMembers, oldMembers),
    removedInboxes: minus(oldMembers, newMembers).filter((m) => !pendingRemoveInboxIds.includes(m)),
    metadataFieldChanges,
    leftInboxes: minus(oldMembers, newMembers).filter((m) => pendingRemoveInboxIds.includes(m)),
    addedAdminInboxes: minus(newMeta.adminInboxIds, oldMeta.adminInboxIds),
    removedAdminInboxes: minus(oldMeta.adminInboxIds, newMeta.adminInboxIds),
    addedSuperAdminInboxes: minus(newMeta.superAdminInboxIds, oldMeta.superAdminInboxIds),
    removedSuperAdminInboxes: minus(oldMeta.superAdminInboxIds, newMeta.superAdminInboxIds),
  };
  const changed =
    update.addedInboxes.length + update.removedInboxes.length + update.leftInboxes.length + metadataFieldChanges.length +
    update.addedAdminInboxes.length + update.removedAdminInboxes.length + update.addedSuperAdminInboxes.length + update.removedSuperAdminInboxes.length;
  return changed > 0 ? update : undefined;
}

/** The stored transcript message for a commit published at `createdNs` (node envelope `envelopeId`). */
export function groupUpdatedMessage(groupId: Uint8Array, update: GroupUpdated, createdNs: bigint, envelopeId: bigint): StoredMessage {
  const { bytes } = encodeContent(groupUpdatedCodec, update);
  return {
    id: groupUpdatedMessageId(groupId, createdNs, bytes),
    groupId: groupKey(groupId),
    senderInboxId: update.initiatedByInboxId,
    sentAtNs: createdNs,
    encodedContent: bytes,
    envelopeId,
    deliveryStatus: 'published',
  };
}
