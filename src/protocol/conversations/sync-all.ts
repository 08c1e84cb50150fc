/**
 * Brings everything up to date: new welcomes (`syncWelcomes`), then every conversation we are in —
 * each DM group too, stitched or not (`syncGroup`). A conversation whose sync fails does not stop
 * the others (its error is returned); a network failure on the welcomes does. Pure; runs everywhere.
 */
import type { XmtpClient } from '../client.js';
import { XmtpError } from '../errors.js';
import { ConversationTables, type StoredGroup } from './conversation-store.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes } from './sync-welcomes.js';

export interface SyncAllReturnType {
  /** Hex group ids joined by this sync. */
  readonly joined: string[];
  /** Conversations (MLS groups) synced. */
  readonly groups: number;
  /** Application messages received. */
  readonly received: number;
  /** Welcomes and group messages skipped (could not be processed). */
  readonly skipped: number;
  /** Groups whose sync failed, with why. */
  readonly failed: { readonly id: string; readonly error: XmtpError }[];
}

export async function syncAll(client: XmtpClient): Promise<SyncAllReturnType> {
  const welcomes = await syncWelcomes(client);
  const groups = await client.store.list<StoredGroup>(ConversationTables.groups);
  let received = 0;
  let skipped = welcomes.skipped.length;
  const failed: { id: string; error: XmtpError }[] = [];
  for (const { key, value } of groups) {
    try {
      const synced = await syncGroup(client, { groupId: value.groupId });
      received += synced.received.length;
      skipped += synced.skipped.length;
    } catch (error) {
      failed.push({ id: key, error: XmtpError.from(error) });
    }
  }
  return { joined: welcomes.joined, groups: groups.length, received, skipped, failed };
}
