/**
 * DM stitching, as libxmtp (xmtp-wire.md §5.5): two people can end up with more than one DM group
 * (both created one before seeing the other's, or a DM re-created after a reinstall). Every DM group
 * with the same other member is the same conversation locally — libxmtp's `dm_id`,
 * `"dm:" + sort(lowercase(a), lowercase(b)).join(":")` — shown once, as the most recently active
 * group, with the messages of all of them. Pure; runs everywhere.
 */
import type { XmtpClient } from '../client.js';
import { ConversationTables, type StoredGroup } from './conversation-store.js';

/** libxmtp's local DM id (not on the wire). */
export function dmId(inboxA: string, inboxB: string): string {
  return `dm:${[inboxA.toLowerCase(), inboxB.toLowerCase()].sort().join(':')}`;
}

/** When the group was last active: its newest message, else its creation. */
export function lastActivityNs(record: StoredGroup): bigint {
  return record.lastMessageAtNs ?? record.createdAtNs;
}

/** Every DM group with `peerInboxId`, most recently active first (ties: the larger group id). */
export async function dmGroupsWith(client: XmtpClient, peerInboxId: string): Promise<{ key: string; value: StoredGroup }[]> {
  const all = await client.store.list<StoredGroup>(ConversationTables.groups);
  return sortByActivity(all.filter((g) => g.value.kind === 'dm' && g.value.dmPeerInboxId === peerInboxId));
}

export function sortByActivity<T extends { key: string; value: StoredGroup }>(groups: T[]): T[] {
  return groups.sort((a, b) => {
    const d = lastActivityNs(b.value) - lastActivityNs(a.value);
    return d > 0n ? 1 : d < 0n ? -1 : b.key.localeCompare(a.key);
  });
}
