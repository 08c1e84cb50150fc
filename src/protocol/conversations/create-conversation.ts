/**
 * What creating a DM and creating a group share (xmtp-wire.md §5.1–5.5, §6): a new MLS group with
 * the given extensions (libxmtp's layout, T14; the creator at sequence id 0 in 0xFF01), our leaf
 * from a fresh (never uploaded) key package, then ONE commit: an Add for every installation of
 * every member inbox (and our other installations) whose key package verifies, plus a
 * GroupContextExtensions proposal setting 0xFF01 to every member inbox's latest identity sequence id
 * (failed key packages in `failed_installations`). The commit is published, its node id read back
 * for WelcomeMetadata.message_cursor, and each added installation gets a welcome (X-Wing when its
 * key package has 0xFF03). Pure; runs everywhere.
 *
 * Guarantees: the group (state after the commit), the commit's payload hash and the welcomes owed
 * (`pending-welcomes.ts`) are stored BEFORE the commit is published (nobody else has the group yet,
 * so there is nothing to fork); if we die before the welcomes are out, the next sync of the group
 * publishes the commit if needed and sends them. The creator's
 * "added" transcript message is stored with the commit's node timestamp.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { createCommit, createGroup, encode, mlsMessageEncoder, type GroupContextExtension } from 'ts-mls';
import type { XmtpClient } from '../client.js';
import { XmtpError } from '../errors.js';
import { createXmtpKeyPackage, toPrivateKeyPackage } from '../mls/create-key-package.js';
import { addProposals, gceProposal, publishCommit, resolveInstallations } from './commit-pieces.js';
import { deliverPendingWelcome, putPendingWelcome } from './pending-welcomes.js';
import { ConversationTables, groupKey, messageKey, payloadKey, saveGroup, type ConversationKind, type StoredGroup } from './conversation-store.js';
import { withGroupMembership } from './group-extensions.js';
import { diffGroupUpdate, groupUpdatedMessage } from './group-updated-transcript.js';

export interface CreateConversationParameters {
  readonly kind: ConversationKind;
  /** The initial extensions (0xFF01 listing only the creator at 0). */
  readonly extensions: GroupContextExtension[];
  /** Member inboxes other than ours. */
  readonly memberInboxIds: readonly string[];
  readonly dmPeerInboxId?: string;
}

export interface CreateConversationReturnType {
  /** Hex group id. */
  readonly id: string;
  readonly groupId: Uint8Array;
  /** Installations added, and those whose key package failed (hex). */
  readonly addedInstallations: string[];
  readonly failedInstallations: string[];
}

/** Creates the conversation. The caller holds whatever lock it needs. */
export async function createConversation(client: XmtpClient, params: CreateConversationParameters): Promise<CreateConversationReturnType> {
  const others = [...new Set(params.memberInboxIds)].filter((m) => m !== client.inboxId);
  const nowSeconds = Number(client.clock.nowNs() / 1_000_000_000n);
  const groupId = crypto.getRandomValues(new Uint8Array(16));
  // The group of one (our leaf from a fresh key package) is made while the members are looked up.
  const [{ logs, recipients, failed }, initial] = await Promise.all([
    resolveInstallations(client, [...others, client.inboxId], { required: others }),
    (async () => {
      const own = await createXmtpKeyPackage({ inboxId: client.inboxId, installationSecretKey: client.installation.secretKey, now: nowSeconds, cipherSuite: client.mls.cipherSuite });
      return createGroup({
        context: client.mls,
        groupId,
        keyPackage: own.decoded,
        privateKeyPackage: toPrivateKeyPackage(own.secrets, client.installation.secretKey),
        extensions: params.extensions,
      });
    })(),
  ]);

  // One commit: Add every installation + GCE with the members' real sequence ids (ours first, as libxmtp).
  const members = new Map([client.inboxId, ...others].map((inboxId) => [inboxId, logs.get(inboxId)!.latestSequenceId]));
  const extensions = withGroupMembership(initial.groupContext.extensions, members, failed.map((f) => f.installationKey));
  const { newState, commit, welcome } = await createCommit({
    context: client.mls,
    state: initial,
    extraProposals: [...addProposals(recipients), gceProposal(extensions)],
    ratchetTreeExtension: true,
  });
  if (recipients.length > 0 && !welcome) throw new XmtpError('internal', 'An Add commit produced no Welcome');
  const commitData = encode(mlsMessageEncoder, commit);
  const nowNs = client.clock.nowNs();
  const record: StoredGroup = {
    groupId,
    state: new Uint8Array(0),
    cursor: 0n,
    kind: params.kind,
    ...(params.dmPeerInboxId ? { dmPeerInboxId: params.dmPeerInboxId } : {}),
    createdAtNs: nowNs,
    addedByInboxId: client.inboxId,
  };
  await saveGroup(client.store, record, newState, (tx) => {
    tx.put(ConversationTables.sentPayloads, payloadKey(commitData), { groupId: groupKey(groupId) });
    if (welcome) putPendingWelcome(tx, groupId, { commit: commitData, welcome, recipients, republish: true });
  });

  const published = await publishCommit(client, groupId, commitData, nowNs);
  const update = diffGroupUpdate(initial.groupContext.extensions, newState.groupContext.extensions, client.inboxId);
  await saveGroup(client.store, { ...record, cursor: published.id }, newState, (tx) => {
    if (!update || params.kind === 'dm') return;
    const m = groupUpdatedMessage(groupId, update, published.createdNs, published.id);
    tx.put(ConversationTables.messages, messageKey(m.groupId, m.sentAtNs, m.id), m);
  });
  await deliverPendingWelcome(client, groupId, commitData, published.id);
  return {
    id: groupKey(groupId),
    groupId,
    addedInstallations: recipients.map((r) => bytesToHex(r.installationKey)),
    failedInstallations: failed.map((f) => bytesToHex(f.installationKey)),
  };
}
