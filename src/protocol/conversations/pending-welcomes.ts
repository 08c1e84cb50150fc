/**
 * Welcomes owed for a commit of ours (libxmtp's post-commit action, xmtp-wire.md §9.3 step 4), kept
 * in the Store until sent, so a crash between publishing an adding commit and sending its welcomes
 * does not leave the added installations in the tree but outside the conversation. Pure; runs
 * everywhere.
 *
 * Table `pendingWelcomes`: `<hex group id>/<hex SHA-256 of the commit>` → `PendingWelcome`, written
 * in the same transaction as the commit's pending state (or, for a new conversation, as the group
 * itself), removed once the welcomes went out or the commit turned out void.
 *
 * `resumePendingWelcomes` (run by `syncGroupLocked` once the group is read to the node's head):
 * - the commit is on the node → send the welcomes with its node id as cursor, then forget them;
 * - it is not, for a new conversation (`republish`: nobody else can commit to a group only we
 *   know) → publish the commit first, then the same;
 * - it is not, for an existing group → the commit is void (our pending state was dropped): forget
 *   the welcomes without sending (a welcome to a commit nobody merged would fork the joiner).
 * A welcome sent twice (a crash after sending, before forgetting) is harmless: joiners skip a group
 * they already have.
 */
import { encode, mlsMessageEncoder, type MlsWelcomeMessage } from 'ts-mls';
import type { XmtpClient } from '../client.js';
import type { StoreWriter } from '../storage/store.js';
import { CommitErrorCodes, findEnvelope, publishCommit, sendWelcomes, type WelcomeRecipient } from './commit-pieces.js';
import { ConversationTables, groupKey, payloadKey } from './conversation-store.js';
import { XmtpError } from '../errors.js';

export type PendingWelcome = {
  /** The commit's MLS message (to find it on the node, or to publish it). */
  readonly commit: Uint8Array;
  /** The Welcome MLS message. */
  readonly welcome: Uint8Array;
  readonly recipients: readonly WelcomeRecipient[];
  /** A new conversation's first commit: publish it if the node does not have it. */
  readonly republish: boolean;
};

export function pendingWelcomeKey(groupId: Uint8Array, commit: Uint8Array): string {
  return `${groupKey(groupId)}/${payloadKey(commit)}`;
}

/** Records the welcomes owed for `commit` (inside the caller's transaction). */
export function putPendingWelcome(
  tx: StoreWriter,
  groupId: Uint8Array,
  params: { readonly commit: Uint8Array; readonly welcome: MlsWelcomeMessage; readonly recipients: PendingWelcome['recipients']; readonly republish: boolean },
): void {
  const value: PendingWelcome = {
    commit: params.commit,
    welcome: encode(mlsMessageEncoder, params.welcome),
    recipients: params.recipients.map((r) => ({ installationKey: r.installationKey, algorithm: r.algorithm, wrapperPublicKey: r.wrapperPublicKey })),
    republish: params.republish,
  };
  tx.put(ConversationTables.pendingWelcomes, pendingWelcomeKey(groupId, params.commit), value);
}

/** Sends the welcomes owed for a commit now on the node at `commitId`, then forgets them. */
export async function deliverPendingWelcome(client: XmtpClient, groupId: Uint8Array, commit: Uint8Array, commitId: bigint): Promise<void> {
  const key = pendingWelcomeKey(groupId, commit);
  const entry = await client.store.get<PendingWelcome>(ConversationTables.pendingWelcomes, key);
  if (!entry) return;
  await sendWelcomes(client, entry.welcome, entry.recipients, commitId);
  await client.store.delete(ConversationTables.pendingWelcomes, key);
}

/** Settles every welcome still owed for the group (see the header). The caller holds the group's lock. */
export async function resumePendingWelcomes(client: XmtpClient, groupId: Uint8Array): Promise<{ sent: number; dropped: number }> {
  const entries = await client.store.list<PendingWelcome>(ConversationTables.pendingWelcomes, `${groupKey(groupId)}/`);
  let sent = 0;
  let dropped = 0;
  for (const { key, value } of entries) {
    let at: { id: bigint } | undefined;
    try {
      at = await findEnvelope(client, groupId, value.commit);
    } catch (error) {
      if (!(error instanceof XmtpError && error.code === CommitErrorCodes.commitNotFound)) throw error;
    }
    if (!at && value.republish) at = await publishCommit(client, groupId, value.commit, client.clock.nowNs());
    if (!at) {
      await client.store.delete(ConversationTables.pendingWelcomes, key);
      dropped++;
      continue;
    }
    await sendWelcomes(client, value.welcome, value.recipients, at.id);
    await client.store.delete(ConversationTables.pendingWelcomes, key);
    sent++;
  }
  return { sent, dropped };
}
