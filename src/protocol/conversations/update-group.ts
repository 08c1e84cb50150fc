/**
 * Commits to an existing group, as libxmtp does (xmtp-wire.md §5.3):
 * - `addMembers`: one commit with an Add for every installation of every new inbox (key packages
 *   checked as at creation; failures listed in `failed_installations`) + a GCE whose 0xFF01 adds
 *   those inboxes at their latest identity sequence id; welcomes to the added installations;
 * - `removeMembers`: one commit with a Remove for every leaf of those inboxes + a GCE whose 0xFF01
 *   drops them;
 * - `updateGroupName` / `updateGroupMetadata`: one commit with a single GCE replacing 0xFF00 (the
 *   other attributes and both admin lists kept).
 * Every GCE carries the whole extension list with only the one extension replaced, in order.
 * Pure; runs everywhere.
 *
 * `commitToGroup` (the shared path), under the group's lock: sync the group first; build the commit
 * (ts-mls, with a path, ratchet tree in the Welcome); store it as PENDING (payload hash + the state
 * after it) before publishing; publish; then read the node back from our cursor: if another commit
 * got ahead of ours, ours is void (libxmtp drops it too) — drop the pending state, sync (which
 * processes the winner) and build ours again from the new epoch, as libxmtp re-publishes a losing
 * intent (up to `MAX_COMMIT_ATTEMPTS`, then `conversations.commit_conflict`, retryable); else merge:
 * the state after our commit becomes the group's, with our GroupUpdated transcript message, and the
 * welcomes are sent (cursor = our commit's node id). The welcomes are stored with the pending commit
 * (`pending-welcomes.ts`) and sent by the next sync if we die before sending them. A crash after publishing is recovered by
 * `syncGroup`, which merges the pending commit when it sees it.
 *
 * Every commit is first put through the validation the other members will run on it
 * (`checkOwnCommit`): a change the group's policies do not allow us is refused here, before anything
 * is stored or sent.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { createCommit, defaultProposalTypes, encode, mlsMessageEncoder, type ClientState, type MlsWelcomeMessage, type Proposal } from 'ts-mls';
import type { XmtpClient } from '../client.js';
import { envelopeId, queryGroupMessagesAfter } from '../delivery/query-all.js';
import { XmtpError } from '../errors.js';
import { readGroupMessageFraming } from '../mls/framing.js';
import { getInstallationIds } from '../identity/association-state.js';
import { bytesEqual } from '../mls/tls.js';
import { addProposals, CommitErrorCodes, gceProposal, resolveInstallations, type Recipient } from './commit-pieces.js';
import { deliverPendingWelcome, pendingWelcomeKey, putPendingWelcome } from './pending-welcomes.js';
import { CommitValidationErrorCodes, validateIncomingCommit } from './validate-commit.js';
import { ConversationTables, encodeClientState, groupKey, loadGroup, messageKey, payloadKey, saveGroup, withoutPending, type StoredGroup } from './conversation-store.js';
import { readGroupMembership, readGroupMetadata, readMutableMetadataValue, withGroupMembership, withMutableMetadata } from './group-extensions.js';
import { diffGroupUpdate, groupUpdatedMessage } from './group-updated-transcript.js';
import { senderHmac } from './sender-hmac.js';
import { syncGroupLocked } from './sync-group.js';
import { associationStateAt, fetchInboxLogs } from './inbox-log.js';
import { groupLeaves, type GroupLeaf } from './validate-welcome-membership.js';
import { ConversationType } from '../../gen/mls/message_contents/group_metadata_pb.js';

export const UpdateGroupErrorCodes = {
  inactive: 'conversations.group_inactive',
  notAGroup: 'conversations.not_a_group',
  invalidMember: 'conversations.invalid_member',
  nothingToDo: 'conversations.nothing_to_change',
  conflict: 'conversations.commit_conflict',
  notPermitted: 'conversations.not_permitted',
} as const;

export interface UpdateGroupReturnType {
  /** Our commit's node id. */
  readonly commitId: bigint;
  readonly epoch: bigint;
  /** Installations added / removed / whose key package failed (hex). */
  readonly addedInstallations: string[];
  readonly removedInstallations: string[];
  readonly failedInstallations: string[];
}

interface CommitPlan {
  readonly proposals: Proposal[];
  readonly recipients: readonly Recipient[];
  readonly removedInstallations?: readonly Uint8Array[];
  readonly failedInstallations?: readonly Uint8Array[];
}

/** How many times a commit that lost a race is rebuilt on the winner's epoch before giving up (`conversations.commit_conflict`). */
export const MAX_COMMIT_ATTEMPTS = 10;

type Plan = (state: ClientState, record: StoredGroup) => Promise<CommitPlan>;

/** Syncs, builds the commit from the synced state, publishes it and merges it (see the header); a commit that lost a race is re-planned on the new epoch. */
export function commitToGroup(client: XmtpClient, groupId: Uint8Array, plan: Plan): Promise<UpdateGroupReturnType> {
  return client.lock(groupKey(groupId), () => commitToGroupLocked(client, groupId, plan));
}

/** commitToGroup for a caller already holding the group's lock. */
export async function commitToGroupLocked(client: XmtpClient, groupId: Uint8Array, plan: Plan): Promise<UpdateGroupReturnType> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await commitOnce(client, groupId, plan);
    } catch (error) {
      if (!(error instanceof XmtpError) || error.code !== UpdateGroupErrorCodes.conflict || attempt >= MAX_COMMIT_ATTEMPTS) throw error;
    }
  }
}

async function commitOnce(client: XmtpClient, groupId: Uint8Array, plan: Plan): Promise<UpdateGroupReturnType> {
  await syncGroupLocked(client, groupId, { publish: false });
  const { record, state } = await loadGroup(client.store, groupId);
  if (state.groupActiveState.kind !== 'active') throw new XmtpError(UpdateGroupErrorCodes.inactive, `Group ${groupKey(groupId)} is not active`);
  const { proposals, recipients, removedInstallations = [], failedInstallations = [] } = await plan(state, record);
  const { newState, commit, welcome } = await createCommit({ context: client.mls, state, extraProposals: proposals, ratchetTreeExtension: true });
  if (recipients.length > 0 && !welcome) throw new XmtpError('internal', 'An Add commit produced no Welcome');
  await checkOwnCommit(client, state, newState, proposals);
  const data = encode(mlsMessageEncoder, commit);
  const hash = payloadKey(data);
  const pending: StoredGroup = { ...record, pendingCommit: hash, pendingState: encodeClientState(newState) };
  await saveGroup(client.store, pending, undefined, (tx) => {
    tx.put(ConversationTables.sentPayloads, hash, { groupId: groupKey(groupId) });
    if (welcome) putPendingWelcome(tx, groupId, { commit: data, welcome: welcome as MlsWelcomeMessage, recipients, republish: false });
  });

  const nowNs = client.clock.nowNs();
  await client.api.mls.sendGroupMessages({
    messages: [{ version: { case: 'v1', value: { data, senderHmac: senderHmac({ hmacRootKey: client.hmacRootKey, groupId, data, nowNs }), shouldPush: false } } }],
  });

  // Where did it land? Another member's commit for the same epoch ahead of ours voids ours
  // (commits for earlier epochs are losers of earlier races and change nothing).
  let published: { id: bigint; createdNs: bigint } | undefined;
  let conflict = false;
  for await (const envelope of queryGroupMessagesAfter(client.api, groupId, record.cursor)) {
    if (envelope.version.case !== 'v1') continue;
    const v = envelope.version.value;
    if (bytesEqual(v.data, data)) {
      published = { id: envelopeId(envelope), createdNs: v.createdNs };
      break;
    }
    if (v.isCommit && commitEpoch(v.data) === state.groupContext.epoch && !(await client.store.get(ConversationTables.sentPayloads, payloadKey(v.data)))) conflict = true;
  }
  if (!published) throw new XmtpError(CommitErrorCodes.commitNotFound, 'The published commit is not on the node', { retryable: true });
  if (conflict) {
    await saveGroup(client.store, withoutPending(pending), undefined, (tx) => tx.delete(ConversationTables.pendingWelcomes, pendingWelcomeKey(groupId, data)));
    throw new XmtpError(UpdateGroupErrorCodes.conflict, 'Another commit reached the group first; sync and retry', { retryable: true });
  }
  const asked = record.pendingRemoveInboxIds ?? [];
  const update = diffGroupUpdate(state.groupContext.extensions, newState.groupContext.extensions, client.inboxId, asked);
  const stillMembers = readGroupMembership(newState.groupContext.extensions).members;
  const { pendingRemoveInboxIds: _asked, ...merged } = withoutPending(pending);
  const left = asked.filter((m) => stillMembers[m] !== undefined);
  // The state after our commit was encoded for `pendingState`: those bytes become the group's state.
  await saveGroup(client.store, { ...(left.length > 0 ? { ...merged, pendingRemoveInboxIds: left } : merged), state: pending.pendingState! } as StoredGroup, undefined, (tx) => {
    if (!update) return;
    const m = groupUpdatedMessage(groupId, update, published.createdNs, published.id);
    tx.put(ConversationTables.messages, messageKey(m.groupId, m.sentAtNs, m.id), m);
  });
  await deliverPendingWelcome(client, groupId, data, published.id);
  return {
    commitId: published.id,
    epoch: newState.groupContext.epoch,
    addedInstallations: recipients.map((r) => bytesToHex(r.installationKey)),
    removedInstallations: removedInstallations.map((k) => bytesToHex(k)),
    failedInstallations: failedInstallations.map((k) => bytesToHex(k)),
  };
}

/**
 * Runs on our own commit the validation every other member will run on it (`validate-commit.ts`),
 * before anything is stored or sent: a commit they would refuse (not permitted by the group's
 * policies, a metadata field too long, …) would leave us alone on a fork. Refused as
 * `conversations.not_permitted` with the rule in the message.
 */
async function checkOwnCommit(client: XmtpClient, before: ClientState, after: ClientState, proposals: readonly Proposal[]): Promise<void> {
  const ourLeaf = before.privatePath.leafIndex;
  try {
    await validateIncomingCommit(client.api.identity, { before, after, commit: { committerLeafIndex: ourLeaf, proposals: proposals.map((proposal) => ({ proposal, senderLeafIndex: ourLeaf })) } });
  } catch (error) {
    if (error instanceof XmtpError && error.code === CommitValidationErrorCodes.invalidCommit) {
      throw new XmtpError(UpdateGroupErrorCodes.notPermitted, `The group's members would refuse this change: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function commitEpoch(data: Uint8Array): bigint | undefined {
  try {
    return readGroupMessageFraming(data).epoch;
  } catch {
    return undefined;
  }
}

function checkInboxIds(inboxIds: readonly string[]): void {
  if (inboxIds.length === 0) throw new XmtpError(UpdateGroupErrorCodes.nothingToDo, 'No inbox ids given');
  for (const m of inboxIds) {
    if (!/^[0-9a-f]{64}$/.test(m)) throw new XmtpError(UpdateGroupErrorCodes.invalidMember, `Not an inbox id: ${m}`);
  }
}

function checkIsGroup(state: ClientState): void {
  if (readGroupMetadata(state.groupContext.extensions).conversationType !== ConversationType.GROUP) {
    throw new XmtpError(UpdateGroupErrorCodes.notAGroup, 'Membership changes are only for groups');
  }
}

export interface AddMembersParameters {
  readonly groupId: Uint8Array;
  readonly inboxIds: readonly string[];
}

export async function addMembers(client: XmtpClient, { groupId, inboxIds }: AddMembersParameters): Promise<UpdateGroupReturnType> {
  checkInboxIds(inboxIds);
  return commitToGroup(client, groupId, async (state) => {
    checkIsGroup(state);
    const membership = readGroupMembership(state.groupContext.extensions);
    const fresh = [...new Set(inboxIds)].filter((m) => membership.members[m] === undefined);
    if (fresh.length === 0) throw new XmtpError(UpdateGroupErrorCodes.nothingToDo, 'Every inbox is already a member');
    const inTree = new Set(groupLeaves(state).map((l) => bytesToHex(l.installationKey)));
    const { logs, recipients, failed } = await resolveInstallations(client, fresh, { exclude: inTree, required: fresh });
    const members = new Map(Object.entries(membership.members));
    for (const m of fresh) members.set(m, logs.get(m)!.latestSequenceId);
    const failedInstallations = [...membership.failedInstallations, ...failed.map((f) => f.installationKey)];
    const extensions = withGroupMembership(state.groupContext.extensions, members, failedInstallations);
    return { proposals: [...addProposals(recipients), gceProposal(extensions)], recipients, failedInstallations: failed.map((f) => f.installationKey) };
  });
}

export interface RemoveMembersParameters {
  readonly groupId: Uint8Array;
  readonly inboxIds: readonly string[];
}

export async function removeMembers(client: XmtpClient, { groupId, inboxIds }: RemoveMembersParameters): Promise<UpdateGroupReturnType> {
  checkInboxIds(inboxIds);
  if (inboxIds.includes(client.inboxId)) throw new XmtpError(UpdateGroupErrorCodes.invalidMember, 'Cannot remove our own inbox: leave the group instead (leaveGroup)');
  return commitToGroup(client, groupId, removePlan(inboxIds));
}

/** The plan of a commit removing every leaf of `inboxIds` and dropping them from 0xFF01. */
export function removePlan(inboxIds: readonly string[]): Plan {
  return async (state) => {
    checkIsGroup(state);
    const membership = readGroupMembership(state.groupContext.extensions);
    const gone = new Set(inboxIds.filter((m) => membership.members[m] !== undefined));
    const leaves = groupLeaves(state).filter((l) => gone.has(l.inboxId));
    if (gone.size === 0 && leaves.length === 0) throw new XmtpError(UpdateGroupErrorCodes.nothingToDo, 'None of these inboxes is a member');
    const members = new Map(Object.entries(membership.members).filter(([m]) => !gone.has(m)));
    const extensions = withGroupMembership(state.groupContext.extensions, members, membership.failedInstallations);
    const removes = leaves.map((l): Proposal => ({ proposalType: defaultProposalTypes.remove, remove: { removed: l.leafIndex } }));
    return { proposals: [...removes, gceProposal(extensions)], recipients: [], removedInstallations: leaves.map((l) => l.installationKey) };
  };
}

export interface UpdateGroupMetadataParameters {
  readonly groupId: Uint8Array;
  /** Attributes to set (`group_name`, `description`, `group_image_url_square`, `app_data`, …); others are kept. */
  readonly attributes: Readonly<Record<string, string>>;
}

export function updateGroupMetadata(client: XmtpClient, { groupId, attributes }: UpdateGroupMetadataParameters): Promise<UpdateGroupReturnType> {
  return commitToGroup(client, groupId, async (state) => {
    checkIsGroup(state);
    const current = readMutableMetadataValue(state.groupContext.extensions);
    const extensions = withMutableMetadata(state.groupContext.extensions, { ...current, attributes: { ...current.attributes, ...attributes } });
    return { proposals: [gceProposal(extensions)], recipients: [] };
  });
}

export interface UpdateGroupNameParameters {
  readonly groupId: Uint8Array;
  readonly name: string;
}

export function updateGroupName(client: XmtpClient, { groupId, name }: UpdateGroupNameParameters): Promise<UpdateGroupReturnType> {
  return updateGroupMetadata(client, { groupId, attributes: { group_name: name } });
}

/** How often a group's members' identity logs are re-checked before a send (libxmtp: 5 s before a send, 30 min in the background). */
export const INSTALLATION_CHECK_INTERVAL_NS = 5_000_000_000n;

export interface SyncGroupInstallationsReturnType {
  /** Undefined when every member's installations were already in the group (no commit). */
  readonly commit?: UpdateGroupReturnType;
}

/**
 * Brings the group's installations in line with its members' identity logs, as libxmtp does
 * (xmtp-wire.md §5.3): for every member inbox whose latest sequence id is past the one in 0xFF01,
 * one commit that adds its new installations (key packages checked; failures listed in
 * `failed_installations`), removes its revoked ones, and raises its sequence id in 0xFF01. Works for
 * DMs too (a new device of the other person joins the DM). No commit when nothing moved.
 */
export function syncGroupInstallations(client: XmtpClient, { groupId }: { readonly groupId: Uint8Array }): Promise<SyncGroupInstallationsReturnType> {
  return client.lock(groupKey(groupId), () => syncGroupInstallationsLocked(client, groupId));
}

/** syncGroupInstallations for a caller already holding the group's lock. */
export async function syncGroupInstallationsLocked(client: XmtpClient, groupId: Uint8Array): Promise<SyncGroupInstallationsReturnType> {
  try {
    const commit = await commitToGroupLocked(client, groupId, async (state) => {
      const membership = readGroupMembership(state.groupContext.extensions);
      const inboxIds = Object.keys(membership.members);
      const logs = await fetchInboxLogs(client.api.identity, inboxIds);
      const moved = inboxIds.filter((m) => logs.get(m)!.latestSequenceId > membership.members[m]!);
      if (moved.length === 0) throw new XmtpError(UpdateGroupErrorCodes.nothingToDo, 'Every member is at its latest sequence id');
      const leaves = groupLeaves(state);
      const known = new Set([...leaves.map((l) => bytesToHex(l.installationKey)), ...membership.failedInstallations.map((k) => bytesToHex(k))]);
      const { recipients, failed } = await resolveInstallations(client, moved, { exclude: known });
      const removed: GroupLeaf[] = [];
      for (const inboxId of moved) {
        const current = new Set(getInstallationIds(await associationStateAt(logs.get(inboxId)!)).map((k) => bytesToHex(k)));
        removed.push(...leaves.filter((l) => l.inboxId === inboxId && !current.has(bytesToHex(l.installationKey))));
      }
      if (removed.some((l) => bytesEqual(l.installationKey, client.installation.publicKey))) {
        throw new XmtpError(UpdateGroupErrorCodes.inactive, 'This installation has been revoked');
      }
      const members = new Map(Object.entries(membership.members));
      for (const m of moved) members.set(m, logs.get(m)!.latestSequenceId);
      const failedInstallations = [...membership.failedInstallations, ...failed.map((f) => f.installationKey)];
      const extensions = withGroupMembership(state.groupContext.extensions, members, failedInstallations);
      const removes = removed.map((l): Proposal => ({ proposalType: defaultProposalTypes.remove, remove: { removed: l.leafIndex } }));
      return {
        proposals: [...addProposals(recipients), ...removes, gceProposal(extensions)],
        recipients,
        removedInstallations: removed.map((l) => l.installationKey),
        failedInstallations: failed.map((f) => f.installationKey),
      };
    });
    return { commit };
  } catch (error) {
    if (error instanceof XmtpError && error.code === UpdateGroupErrorCodes.nothingToDo) return {};
    throw error;
  }
}
