/**
 * libxmtp's validation of an INCOMING commit (xmtp-wire.md §5.4; libxmtp 1.10
 * `groups/validated_commit.rs ValidatedCommit::from_staged_commit`, `group_permissions.rs
 * PolicySet::evaluate_commit`), run after ts-mls has processed a commit from another member and
 * before its result is kept. Pure; runs everywhere (the identity transport is injected).
 *
 * Input: the group state before the commit, the state after it (absent when the commit removes us:
 * ts-mls stops before applying it, so the new extensions come from the commit's GCE proposal), and
 * what ts-mls's callback saw: the committer's leaf and every proposal with its sender.
 *
 * Rules; each failure is an `XmtpError` `conversations.invalid_commit` (not retryable unless an
 * identity lookup failed retryably) whose message names the rule, `Invalid commit (<rule>): …`:
 * - `actor_not_member`: the committer and every proposer are member leaves (no external commits);
 * - `psk_proposal`, `unsupported_proposal`: only Add, Update, Remove and GroupContextExtensions;
 * - `multiple_actors`: every proposal comes from the committer (xmtp-wire.md: one actor per commit;
 *   libxmtp 1.10 instead evaluates each proposer, which only proposal-enabled groups can produce);
 * - `immutable_metadata_changed`: 0xF000 is byte-for-byte unchanged;
 * - `missing_extension` / `invalid_extension`: 0xFF00, 0xFF01, 0xFF02 stay present and decode as
 *   libxmtp decodes them (both admin lists present, the five singular policies present, no base
 *   value 0 or unknown, no empty and/any);
 * - `unsupported_extension`: an extension type the commit introduces is in every leaf's capabilities
 *   (RFC 9420 §12.1.7; ts-mls rc.10 does not check it);
 * - `metadata_too_long`: group_name 100, description 1000, group_image_url_square 2048, app_data 8192
 *   UTF-8 bytes (libxmtp 1.10 measures bytes);
 * - `min_version_lowered`: `minimum_supported_protocol_version` is never lowered or removed, and a
 *   new value is a version libxmtp 1.10 parses (`major.minor.patch[-suffix]`);
 * - `sequence_id_decreased`: a GroupMembership (0xFF01) sequence id only rises;
 * - `unknown_sequence_id`: an added or raised sequence id is an entry of that inbox's identity log;
 *   `identity_lookup_failed`: an inbox the commit involves has no valid identity log;
 * - `unexpected_installation_added` / `unexpected_installations_removed` /
 *   `installation_inbox_mismatch`: the Add/Remove proposals match the association-state diff of the
 *   inboxes added, removed or raised in 0xFF01 (an expected install may be missing from the Adds;
 *   removals must match exactly except `failed_installations`; a super admin may remove and re-add
 *   the same installation, fork recovery);
 * - `leaf_changed` / `installation_not_in_inbox`: only the committer's leaf (its UpdatePath) and
 *   Update senders' leaves change; the committer keeps its inbox; the committer's and every Update
 *   leaf's installation is in its inbox's association state at the new 0xFF01 sequence id;
 * - `not_permitted`: the group's 0xFF02 policies (before the commit) evaluated for the committer:
 *   add / remove member per inbox (a super admin can never be removed; in a DM, adding the DM's
 *   other member is always allowed), each metadata field's policy (no policy: `_`-prefixed fields
 *   super admin, others admin), admin-list add / remove policies, super-admin list changes and any
 *   0xFF02 change by a super admin only, never the last super admin removed.
 * Network failures (ConnectError) propagate unchanged, so a sync stops instead of skipping.
 */
import { fromBinary } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { bytesToHex } from '@noble/hashes/utils.js';
import { defaultProposalTypes, nodeTypes, type ClientState, type GroupContextExtension, type LeafNode, type ProposalWithSender, type RatchetTree } from 'ts-mls';
import type { IdentityApi } from '../../gen/identity/api/v1/identity_pb.js';
import type { GroupMembership } from '../../gen/mls/message_contents/group_membership_pb.js';
import type { GroupMetadataV1 } from '../../gen/mls/message_contents/group_metadata_pb.js';
import { GroupMutableMetadataV1Schema } from '../../gen/mls/message_contents/group_mutable_metadata_pb.js';
import { GroupMutablePermissionsV1Schema } from '../../gen/mls/message_contents/group_permissions_pb.js';
import { XmtpError } from '../errors.js';
import { getInstallationIds } from '../identity/association-state.js';
import { bytesEqual } from '../mls/tls.js';
import { XmtpExtensionTypes } from '../mls/xmtp-extensions.js';
import { metadataLimitExceeded, readGroupMembership, readGroupMetadata, readMutableMetadataValue, type MutableMetadataValue } from './group-extensions.js';
import { associationStateAt, fetchInboxLogs, type InboxLog } from './inbox-log.js';
import { inboxIdOfCredential } from './xmtp-authentication-service.js';

export const CommitValidationErrorCodes = {
  invalidCommit: 'conversations.invalid_commit',
} as const;

/** The rule names `Invalid commit (<rule>): …` messages carry. */
export const CommitRules = {
  actorNotMember: 'actor_not_member',
  pskProposal: 'psk_proposal',
  unsupportedProposal: 'unsupported_proposal',
  multipleActors: 'multiple_actors',
  immutableMetadataChanged: 'immutable_metadata_changed',
  missingExtension: 'missing_extension',
  invalidExtension: 'invalid_extension',
  unsupportedExtension: 'unsupported_extension',
  metadataTooLong: 'metadata_too_long',
  minVersionLowered: 'min_version_lowered',
  sequenceIdDecreased: 'sequence_id_decreased',
  unknownSequenceId: 'unknown_sequence_id',
  identityLookupFailed: 'identity_lookup_failed',
  unexpectedInstallationAdded: 'unexpected_installation_added',
  unexpectedInstallationsRemoved: 'unexpected_installations_removed',
  installationInboxMismatch: 'installation_inbox_mismatch',
  leafChanged: 'leaf_changed',
  installationNotInInbox: 'installation_not_in_inbox',
  notPermitted: 'not_permitted',
} as const;

export type CommitRule = (typeof CommitRules)[keyof typeof CommitRules];

function invalid(rule: CommitRule, detail: string, options: { readonly cause?: unknown; readonly retryable?: boolean } = {}): XmtpError {
  return new XmtpError(CommitValidationErrorCodes.invalidCommit, `Invalid commit (${rule}): ${detail}`, options);
}

/** What ts-mls's IncomingMessageCallback reports for a commit. */
export interface IncomingCommit {
  /** ts-mls `senderLeafIndex`: undefined when the committer is not a member. */
  readonly committerLeafIndex: number | undefined;
  /** Inline proposals carry the committer as sender; referenced ones their proposer. */
  readonly proposals: readonly ProposalWithSender[];
}

export interface ValidateIncomingCommitParameters {
  readonly before: ClientState;
  /** The state after the commit; absent when the commit removes us. */
  readonly after?: ClientState;
  readonly commit: IncomingCommit;
}

export interface ValidateIncomingCommitReturnType {
  /** The committer's inbox. */
  readonly actorInboxId: string;
  readonly addedInboxIds: readonly string[];
  readonly removedInboxIds: readonly string[];
  /** Installations (hex) a super admin removed and added back in this commit (fork recovery). */
  readonly readdedInstallations: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Policies (0xFF02), as libxmtp decodes and evaluates them.

type PolicyRule = 'allow' | 'deny' | 'admin' | 'super_admin';
/** A policy tree: a base rule, or all / any of sub-policies. */
export type Policy = PolicyRule | { readonly all: readonly Policy[] } | { readonly any: readonly Policy[] };

export interface PolicySet {
  readonly addMember: Policy;
  readonly removeMember: Policy;
  readonly updateMetadata: ReadonlyMap<string, Policy>;
  readonly addAdmin: Policy;
  readonly removeAdmin: Policy;
  readonly updatePermissions: Policy;
}

export interface ActorRole {
  readonly isAdmin: boolean;
  readonly isSuperAdmin: boolean;
}

interface PolicyMessage {
  readonly kind:
    | { readonly case: 'base'; readonly value: number }
    | { readonly case: 'andCondition' | 'anyCondition'; readonly value: { readonly policies: readonly PolicyMessage[] } }
    | { readonly case: undefined; readonly value?: undefined };
}

/** Base values → rules: membership and metadata policies (1 allow, 2 deny, 3 admin, 4 super admin) and permission-update policies (1 deny, 2 admin, 3 super admin). */
const MEMBERSHIP_OR_METADATA_BASE: ReadonlyMap<number, PolicyRule> = new Map([[1, 'allow'], [2, 'deny'], [3, 'admin'], [4, 'super_admin']]);
const PERMISSIONS_BASE: ReadonlyMap<number, PolicyRule> = new Map([[1, 'deny'], [2, 'admin'], [3, 'super_admin']]);

function toPolicy(message: PolicyMessage | undefined, bases: ReadonlyMap<number, PolicyRule>, what: string): Policy {
  if (!message) throw new Error(`${what} is missing`);
  const { kind } = message;
  switch (kind.case) {
    case 'base': {
      const rule = bases.get(kind.value);
      if (!rule) throw new Error(`${what} has base value ${kind.value}`);
      return rule;
    }
    case 'andCondition':
    case 'anyCondition': {
      if (kind.value.policies.length === 0) throw new Error(`${what} has an empty condition`);
      const policies = kind.value.policies.map((p) => toPolicy(p, bases, what));
      return kind.case === 'andCondition' ? { all: policies } : { any: policies };
    }
    default:
      throw new Error(`${what} has no kind`);
  }
}

/** Decodes 0xFF02 as libxmtp does (`GroupMutablePermissions::from_proto`); throws on anything it would refuse. */
export function decodePolicySet(bytes: Uint8Array): PolicySet {
  const { policies } = fromBinary(GroupMutablePermissionsV1Schema, bytes);
  if (!policies) throw new Error('no policy set');
  return {
    addMember: toPolicy(policies.addMemberPolicy, MEMBERSHIP_OR_METADATA_BASE, 'add_member_policy'),
    removeMember: toPolicy(policies.removeMemberPolicy, MEMBERSHIP_OR_METADATA_BASE, 'remove_member_policy'),
    updateMetadata: new Map(Object.entries(policies.updateMetadataPolicy).map(([field, p]) => [field, toPolicy(p, MEMBERSHIP_OR_METADATA_BASE, `metadata policy ${field}`)])),
    addAdmin: toPolicy(policies.addAdminPolicy, PERMISSIONS_BASE, 'add_admin_policy'),
    removeAdmin: toPolicy(policies.removeAdminPolicy, PERMISSIONS_BASE, 'remove_admin_policy'),
    updatePermissions: toPolicy(policies.updatePermissionsPolicy, PERMISSIONS_BASE, 'update_permissions_policy'),
  };
}

export function evaluatePolicy(policy: Policy, actor: ActorRole): boolean {
  if (typeof policy === 'string') {
    switch (policy) {
      case 'allow':
        return true;
      case 'deny':
        return false;
      case 'admin':
        return actor.isAdmin || actor.isSuperAdmin;
      case 'super_admin':
        return actor.isSuperAdmin;
    }
  }
  return 'all' in policy ? policy.all.every((p) => evaluatePolicy(p, actor)) : policy.any.some((p) => evaluatePolicy(p, actor));
}

/** The policy for a metadata field: its entry, else super admin for `_`-prefixed fields and admin for the rest (libxmtp). */
export function metadataFieldPolicy(policies: PolicySet, field: string): Policy {
  return policies.updateMetadata.get(field) ?? (field.startsWith('_') ? 'super_admin' : 'admin');
}

/** Policy sets equal as libxmtp compares them (decoded, map order ignored). */
function samePolicySet(a: PolicySet, b: PolicySet): boolean {
  const canonical = (p: PolicySet) =>
    JSON.stringify([p.addMember, p.removeMember, [...p.updateMetadata].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)), p.addAdmin, p.removeAdmin, p.updatePermissions]);
  return canonical(a) === canonical(b);
}

// ---------------------------------------------------------------------------------------------
// minimum_supported_protocol_version

const MIN_VERSION_FIELD = 'minimum_supported_protocol_version';

interface Version {
  readonly core: readonly [number, number, number];
  readonly suffix: string | undefined;
}

/**
 * libxmtp 1.10's `LibXMTPVersion::parse`: exactly three dot-separated parts, each a u32, the third
 * optionally followed by `-suffix` (the text up to a next `-`). Undefined when 1.10 would refuse it.
 */
function parseVersion(value: string): Version | undefined {
  const parts = value.split('.');
  if (parts.length !== 3) return undefined;
  const [patch, suffix] = parts[2]!.split('-');
  const numbers = [parts[0]!, parts[1]!, patch!].map((p) => (/^\+?\d{1,10}$/.test(p) && Number(p) <= 0xffff_ffff ? Number(p) : undefined));
  if (numbers.some((n) => n === undefined)) return undefined;
  return { core: numbers as [number, number, number], suffix };
}

/**
 * Precedence: the numbers, then a suffixed version before the plain one (semver's pre-release rule,
 * as libxmtp's later monotonic-floor check; 1.10 never compares two floors), suffixes compared
 * numerically when both are numbers, else as text.
 */
function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i]! < b.core[i]! ? -1 : 1;
  if (a.suffix === b.suffix) return 0;
  if (a.suffix === undefined) return 1;
  if (b.suffix === undefined) return -1;
  const [na, nb] = [/^\d+$/.test(a.suffix), /^\d+$/.test(b.suffix)];
  if (na && nb && Number(a.suffix) !== Number(b.suffix)) return Number(a.suffix) < Number(b.suffix) ? -1 : 1;
  if (na !== nb) return na ? -1 : 1;
  return a.suffix < b.suffix ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------
// Tree and extension helpers

function leafAt(tree: RatchetTree, leafIndex: number): LeafNode | undefined {
  const node = tree[leafIndex * 2];
  return node && node.nodeType === nodeTypes.leaf ? node.leaf : undefined;
}

function leafIndices(tree: RatchetTree): number[] {
  const out: number[] = [];
  for (let i = 0; i < tree.length; i += 2) if (tree[i]?.nodeType === nodeTypes.leaf) out.push(i / 2);
  return out;
}

function customData(extensions: readonly GroupContextExtension[], type: number): Uint8Array | undefined {
  const ext = extensions.find((e) => e.extensionType === type);
  return ext && ext.extensionData instanceof Uint8Array ? ext.extensionData : undefined;
}

/** Default MLS extension types (RFC 9420 §17.3) need not be listed in capabilities. */
const isDefaultExtensionType = (type: number) => type >= 1 && type <= 5;

const SUPPORTED_PROPOSALS: ReadonlySet<number> = new Set([
  defaultProposalTypes.add,
  defaultProposalTypes.update,
  defaultProposalTypes.remove,
  defaultProposalTypes.group_context_extensions,
]);

function membershipOf(extensions: readonly GroupContextExtension[], when: string): GroupMembership {
  try {
    return readGroupMembership(extensions);
  } catch (cause) {
    throw invalid(customData(extensions, XmtpExtensionTypes.groupMembership) ? CommitRules.invalidExtension : CommitRules.missingExtension, `GroupMembership (0xFF01) ${when}`, { cause });
  }
}

function policiesOf(extensions: readonly GroupContextExtension[], when: string): PolicySet {
  const bytes = customData(extensions, XmtpExtensionTypes.groupPermissions);
  if (!bytes) throw invalid(CommitRules.missingExtension, `no group permissions (0xFF02) ${when}`);
  try {
    return decodePolicySet(bytes);
  } catch (cause) {
    throw invalid(CommitRules.invalidExtension, `group permissions (0xFF02) ${when}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** 0xFF00 decoded as libxmtp does (`GroupMutableMetadata::try_from`: both admin lists must be present). */
function strictMutableMetadata(bytes: Uint8Array): MutableMetadataValue {
  let decoded;
  try {
    decoded = fromBinary(GroupMutableMetadataV1Schema, bytes);
  } catch (cause) {
    throw invalid(CommitRules.invalidExtension, 'the new mutable metadata (0xFF00) is not a protobuf', { cause });
  }
  if (!decoded.adminList || !decoded.superAdminList) throw invalid(CommitRules.invalidExtension, 'the new mutable metadata (0xFF00) lacks an admin list');
  return { attributes: { ...decoded.attributes }, adminInboxIds: [...decoded.adminList.inboxIds], superAdminInboxIds: [...decoded.superAdminList.inboxIds] };
}

// ---------------------------------------------------------------------------------------------

/** Validates a commit another member made; throws `conversations.invalid_commit` naming the broken rule. */
export async function validateIncomingCommit(
  api: Pick<Client<typeof IdentityApi>, 'getIdentityUpdates'>,
  { before, after, commit }: ValidateIncomingCommitParameters,
): Promise<ValidateIncomingCommitReturnType> {
  const oldTree = before.ratchetTree;
  const oldExtensions = before.groupContext.extensions;

  // --- actors and proposal types
  const committer = commit.committerLeafIndex;
  if (committer === undefined) throw invalid(CommitRules.actorNotMember, 'the committer is not a member (external commits are not supported)');
  const committerLeaf = leafAt(oldTree, committer);
  const actorInboxId = committerLeaf && inboxIdOfCredential(committerLeaf.credential);
  if (!actorInboxId) throw invalid(CommitRules.actorNotMember, `the committer (leaf ${committer}) is not an XMTP member`);
  for (const { proposal, senderLeafIndex } of commit.proposals) {
    if (proposal.proposalType === defaultProposalTypes.psk) throw invalid(CommitRules.pskProposal, 'PSK proposals are not supported');
    if (!SUPPORTED_PROPOSALS.has(proposal.proposalType)) throw invalid(CommitRules.unsupportedProposal, `proposal type ${proposal.proposalType} is not supported`);
    const senderLeaf = senderLeafIndex === undefined ? undefined : leafAt(oldTree, senderLeafIndex);
    if (!senderLeaf || !inboxIdOfCredential(senderLeaf.credential)) throw invalid(CommitRules.actorNotMember, 'a proposal comes from a non-member');
    if (senderLeafIndex !== committer) throw invalid(CommitRules.multipleActors, `leaf ${committer} commits a proposal of leaf ${senderLeafIndex}`);
  }

  // --- the extensions before and after
  const gce = commit.proposals.find((p) => p.proposal.proposalType === defaultProposalTypes.group_context_extensions)?.proposal;
  const newExtensions = after?.groupContext.extensions ?? (gce && 'groupContextExtensions' in gce ? gce.groupContextExtensions.extensions : oldExtensions);
  const oldImmutable = customData(oldExtensions, XmtpExtensionTypes.immutableMetadata);
  const newImmutable = customData(newExtensions, XmtpExtensionTypes.immutableMetadata);
  if (!oldImmutable || !newImmutable || !bytesEqual(oldImmutable, newImmutable)) throw invalid(CommitRules.immutableMetadataChanged, 'the immutable group metadata (0xF000) changed');
  let immutable: GroupMetadataV1;
  try {
    immutable = readGroupMetadata(oldExtensions);
  } catch (cause) {
    throw invalid(CommitRules.invalidExtension, 'the group metadata (0xF000) does not decode', { cause });
  }
  const oldMembership = membershipOf(oldExtensions, 'before the commit');
  const newMembership = membershipOf(newExtensions, 'after the commit');
  const oldPolicies = policiesOf(oldExtensions, 'before the commit');
  const newPolicies = policiesOf(newExtensions, 'after the commit');
  const oldMetaBytes = customData(oldExtensions, XmtpExtensionTypes.mutableMetadata);
  const newMetaBytes = customData(newExtensions, XmtpExtensionTypes.mutableMetadata);
  if (!newMetaBytes) throw invalid(CommitRules.missingExtension, 'the commit removes the mutable metadata (0xFF00)');
  const oldMeta = readMutableMetadataValue(oldExtensions);
  const metadataChanged = !oldMetaBytes || !bytesEqual(oldMetaBytes, newMetaBytes);
  const newMeta = metadataChanged ? strictMutableMetadata(newMetaBytes) : oldMeta;

  if (after) {
    const oldTypes = new Set(oldExtensions.map((e) => e.extensionType));
    for (const { extensionType } of newExtensions) {
      if (oldTypes.has(extensionType) || isDefaultExtensionType(extensionType)) continue;
      for (const i of leafIndices(after.ratchetTree)) {
        if (!leafAt(after.ratchetTree, i)!.capabilities.extensions.includes(extensionType)) {
          throw invalid(CommitRules.unsupportedExtension, `leaf ${i} does not support the new group extension 0x${extensionType.toString(16)}`);
        }
      }
    }
  }

  // --- mutable metadata: changes, limits, minimum version
  const fieldChanges: { field: string; oldValue?: string; newValue?: string }[] = [];
  for (const field of new Set([...Object.keys(oldMeta.attributes), ...Object.keys(newMeta.attributes)])) {
    const oldValue = oldMeta.attributes[field];
    const newValue = newMeta.attributes[field];
    if (oldValue === newValue) continue;
    fieldChanges.push({ field, ...(oldValue === undefined ? {} : { oldValue }), ...(newValue === undefined ? {} : { newValue }) });
    const limit = newValue === undefined ? undefined : metadataLimitExceeded(field, newValue);
    if (limit !== undefined) throw invalid(CommitRules.metadataTooLong, `${field} is longer than ${limit} bytes`);
  }
  const minChange = fieldChanges.find((c) => c.field === MIN_VERSION_FIELD);
  if (minChange) {
    if (minChange.newValue === undefined) throw invalid(CommitRules.minVersionLowered, `${MIN_VERSION_FIELD} ${minChange.oldValue} is removed`);
    const next = parseVersion(minChange.newValue);
    if (!next) throw invalid(CommitRules.minVersionLowered, `${MIN_VERSION_FIELD} "${minChange.newValue}" is not a version`);
    const previous = minChange.oldValue === undefined ? undefined : parseVersion(minChange.oldValue);
    if (previous && compareVersions(next, previous) < 0) throw invalid(CommitRules.minVersionLowered, `${MIN_VERSION_FIELD} goes down from ${minChange.oldValue} to ${minChange.newValue}`);
  }
  const listDiff = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));
  const adminsAdded = listDiff(newMeta.adminInboxIds, oldMeta.adminInboxIds);
  const adminsRemoved = listDiff(oldMeta.adminInboxIds, newMeta.adminInboxIds);
  const superAdminsAdded = listDiff(newMeta.superAdminInboxIds, oldMeta.superAdminInboxIds);
  const superAdminsRemoved = listDiff(oldMeta.superAdminInboxIds, newMeta.superAdminInboxIds);

  // --- GroupMembership diff
  const oldMembers = oldMembership.members;
  const newMembers = newMembership.members;
  const addedInboxIds = Object.keys(newMembers).filter((m) => oldMembers[m] === undefined);
  const removedInboxIds = Object.keys(oldMembers).filter((m) => newMembers[m] === undefined);
  const raisedInboxIds: string[] = [];
  for (const [inboxId, oldSequenceId] of Object.entries(oldMembers)) {
    const newSequenceId = newMembers[inboxId];
    if (newSequenceId === undefined || newSequenceId === oldSequenceId) continue;
    if (newSequenceId < oldSequenceId) throw invalid(CommitRules.sequenceIdDecreased, `inbox ${inboxId}'s sequence id goes down from ${oldSequenceId} to ${newSequenceId}`);
    raisedInboxIds.push(inboxId);
  }

  // --- what the proposals add, remove and update
  const added = new Map<string, string | undefined>(); // installation (hex) → inbox in its credential
  const removed = new Map<string, number>(); // installation (hex) → leaf index
  const updated: { leafIndex: number; inboxId: string | undefined; key: Uint8Array }[] = [];
  for (const { proposal, senderLeafIndex } of commit.proposals) {
    if ('add' in proposal) {
      const leaf = proposal.add.keyPackage.leafNode;
      added.set(bytesToHex(leaf.signaturePublicKey), inboxIdOfCredential(leaf.credential));
    } else if ('remove' in proposal) {
      const leaf = leafAt(oldTree, proposal.remove.removed);
      if (!leaf) throw invalid(CommitRules.unexpectedInstallationsRemoved, `leaf ${proposal.remove.removed} is not a member`);
      removed.set(bytesToHex(leaf.signaturePublicKey), proposal.remove.removed);
    } else if ('update' in proposal) {
      updated.push({ leafIndex: senderLeafIndex!, inboxId: inboxIdOfCredential(proposal.update.leafNode.credential), key: proposal.update.leafNode.signaturePublicKey });
    }
  }

  // --- the committer's leaf after the commit (its UpdatePath leaf), and every other leaf unchanged
  const committerAfter = after ? leafAt(after.ratchetTree, committer) : committerLeaf;
  if (!committerAfter) throw invalid(CommitRules.leafChanged, `the committer's leaf ${committer} is gone`);
  if (inboxIdOfCredential(committerAfter.credential) !== actorInboxId) throw invalid(CommitRules.leafChanged, `the committer's new leaf does not name its inbox ${actorInboxId}`);
  if (after) {
    const mayChange = new Set([committer, ...updated.map((u) => u.leafIndex), ...removed.values()]);
    for (const i of leafIndices(oldTree)) {
      const [was, is] = [leafAt(oldTree, i)!, leafAt(after.ratchetTree, i)];
      if (mayChange.has(i) || !is) continue;
      if (!bytesEqual(was.signaturePublicKey, is.signaturePublicKey) || inboxIdOfCredential(was.credential) !== inboxIdOfCredential(is.credential)) {
        throw invalid(CommitRules.leafChanged, `leaf ${i} changed without an Update or the committer's path`);
      }
    }
  }

  // --- identity: the expected installation diff and the changed leaves' installations
  const participants = [{ what: 'the committer', inboxId: actorInboxId, key: committerAfter.signaturePublicKey }, ...updated.map((u) => ({ what: `leaf ${u.leafIndex}'s update`, inboxId: u.inboxId, key: u.key }))];
  const needed = new Set([...addedInboxIds, ...raisedInboxIds, ...removedInboxIds, ...participants.flatMap((p) => (p.inboxId ? [p.inboxId] : []))]);
  const logs = await identity('fetching identity logs', () => fetchInboxLogs(api, [...needed]));
  const installationsAt = async (inboxId: string, sequenceId: bigint, exact: boolean): Promise<Set<string>> => {
    const log: InboxLog = logs.get(inboxId)!;
    if (exact && !log.entries.some((e) => e.sequenceId === sequenceId)) {
      throw invalid(CommitRules.unknownSequenceId, `inbox ${inboxId} has no identity update with sequence id ${sequenceId}`);
    }
    const state = await identity(`inbox ${inboxId} at sequence id ${sequenceId}`, () => associationStateAt(log, sequenceId));
    return new Set(getInstallationIds(state).map((k) => bytesToHex(k)));
  };

  const expectedAdded = new Map<string, string>(); // installation (hex) → inbox
  const expectedRemoved = new Set<string>();
  for (const inboxId of [...addedInboxIds, ...raisedInboxIds]) {
    const from = oldMembers[inboxId];
    const start = from === undefined || from === 0n ? new Set<string>() : await installationsAt(inboxId, from, false);
    const end = await installationsAt(inboxId, newMembers[inboxId]!, true);
    for (const k of end) if (!start.has(k)) expectedAdded.set(k, inboxId);
    for (const k of start) if (!end.has(k)) expectedRemoved.add(k);
  }
  for (const inboxId of removedInboxIds) {
    for (const k of await installationsAt(inboxId, oldMembers[inboxId]!, false)) expectedRemoved.add(k);
  }

  const role = (inboxId: string): ActorRole => ({ isAdmin: oldMeta.adminInboxIds.includes(inboxId), isSuperAdmin: oldMeta.superAdminInboxIds.includes(inboxId) });
  const actor = role(actorInboxId);
  const failed = new Set(newMembership.failedInstallations.map((k) => bytesToHex(k)));
  const readded: string[] = [];
  if (actor.isSuperAdmin) {
    for (const k of [...added.keys()]) {
      if (!removed.has(k)) continue;
      readded.push(k);
      added.delete(k);
      removed.delete(k);
    }
    for (const k of [...removed.keys()]) {
      if (!failed.has(k)) continue;
      readded.push(k);
      removed.delete(k);
      failed.delete(k);
    }
  }
  const inTree = new Set(leafIndices(oldTree).map((i) => bytesToHex(leafAt(oldTree, i)!.signaturePublicKey)));
  for (const [k, inboxId] of added) {
    const expectedInbox = expectedAdded.get(k);
    if (expectedInbox === undefined) {
      if (!inTree.has(k)) throw invalid(CommitRules.unexpectedInstallationAdded, `installation ${k} is not in the identity diff of the inboxes this commit adds or updates`);
    } else if (expectedInbox !== inboxId) {
      throw invalid(CommitRules.installationInboxMismatch, `installation ${k} belongs to inbox ${expectedInbox}, its credential names ${inboxId}`);
    }
  }
  const mustRemove = [...expectedRemoved].filter((k) => !failed.has(k));
  const extraRemoved = [...removed.keys()].filter((k) => !expectedRemoved.has(k) || failed.has(k));
  const notRemoved = mustRemove.filter((k) => !removed.has(k));
  if (extraRemoved.length > 0 || notRemoved.length > 0) {
    throw invalid(
      CommitRules.unexpectedInstallationsRemoved,
      `removed installations do not match the identity diff (unexpected: [${extraRemoved.join(', ')}], missing: [${notRemoved.join(', ')}])`,
    );
  }

  for (const p of participants) {
    const sequenceId = p.inboxId === undefined ? undefined : newMembers[p.inboxId];
    if (p.inboxId === undefined || sequenceId === undefined) throw invalid(CommitRules.installationNotInInbox, `${p.what} names inbox ${p.inboxId}, which is not a member`);
    const key = bytesToHex(p.key);
    if (!(await installationsAt(p.inboxId, sequenceId, false)).has(key)) {
      throw invalid(CommitRules.installationNotInInbox, `${p.what}: installation ${key} is not in inbox ${p.inboxId} at sequence id ${sequenceId}`);
    }
  }

  // --- permissions (the group's policies before the commit, for the committer)
  const refuse = (what: string) => invalid(CommitRules.notPermitted, `${actorInboxId} may not ${what}`);
  const dm = immutable.dmMembers;
  const dmOther =
    dm !== undefined &&
    addedInboxIds.length === 1 &&
    [dm.dmMemberOne?.inboxId, dm.dmMemberTwo?.inboxId].includes(addedInboxIds[0]) &&
    addedInboxIds[0] !== actorInboxId;
  if (!dmOther) for (const inboxId of addedInboxIds) if (!evaluatePolicy(oldPolicies.addMember, actor)) throw refuse(`add inbox ${inboxId}`);
  for (const inboxId of removedInboxIds) {
    if (role(inboxId).isSuperAdmin) throw refuse(`remove super admin ${inboxId} (a super admin can never be removed)`);
    if (!evaluatePolicy(oldPolicies.removeMember, actor)) throw refuse(`remove inbox ${inboxId}`);
  }
  for (const { field } of fieldChanges) if (!evaluatePolicy(metadataFieldPolicy(oldPolicies, field), actor)) throw refuse(`change metadata field ${field}`);
  if (adminsAdded.length > 0 && !evaluatePolicy(oldPolicies.addAdmin, actor)) throw refuse('add admins');
  if (adminsRemoved.length > 0 && !evaluatePolicy(oldPolicies.removeAdmin, actor)) throw refuse('remove admins');
  if (superAdminsAdded.length > 0 && !actor.isSuperAdmin) throw refuse('add super admins');
  if (superAdminsRemoved.length > 0 && (!actor.isSuperAdmin || newMeta.superAdminInboxIds.length === 0)) throw refuse('remove super admins');
  if (!samePolicySet(oldPolicies, newPolicies) && !actor.isSuperAdmin) throw refuse('change the group permissions (0xFF02)');

  return { actorInboxId, addedInboxIds, removedInboxIds, readdedInstallations: readded };
}

/** Runs an identity lookup; identity errors become `invalid_commit` (keeping `retryable`), network errors pass through. */
async function identity<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof XmtpError) throw invalid(CommitRules.identityLookupFailed, `${what}: ${error.message}`, { cause: error, retryable: error.retryable });
    throw error;
  }
}
