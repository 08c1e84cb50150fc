/**
 * Welcome validation as libxmtp does it (`groups/welcomes/validated_membership.rs`; xmtp-wire.md
 * §5.4): the joined group's tree must match its GroupMembership (0xFF01) and the inboxes' identity
 * logs. Pure; runs everywhere (the transport is injected).
 *
 * Checks:
 * - every leaf has an XMTP credential whose inbox is in GroupMembership;
 * - every leaf's installation (its signature key) is in that inbox's association state at exactly
 *   the sequence id GroupMembership lists;
 * - every installation of those states is in the tree, unless listed in `failed_installations`;
 * - every inbox in GroupMembership has at least one leaf.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { nodeTypes, type ClientState } from 'ts-mls';
import type { Client } from '@connectrpc/connect';
import type { IdentityApi } from '../../gen/identity/api/v1/identity_pb.js';
import { XmtpError } from '../errors.js';
import { getInstallationIds } from '../identity/association-state.js';
import { readGroupMembership } from './group-extensions.js';
import { associationStateAt, fetchInboxLogs } from './inbox-log.js';
import { inboxIdOfCredential } from './xmtp-authentication-service.js';

export const WelcomeValidationErrorCodes = {
  invalidMembership: 'conversations.invalid_welcome_membership',
} as const;

function invalid(message: string): XmtpError {
  return new XmtpError(WelcomeValidationErrorCodes.invalidMembership, `Invalid welcome: ${message}`);
}

export interface GroupLeaf {
  readonly leafIndex: number;
  readonly inboxId: string;
  readonly installationKey: Uint8Array;
}

/** The members of a group's tree with their XMTP inbox ids (leaves with another credential throw). */
export function groupLeaves(state: ClientState): GroupLeaf[] {
  const leaves: GroupLeaf[] = [];
  state.ratchetTree.forEach((node, index) => {
    if (index % 2 !== 0 || !node || node.nodeType !== nodeTypes.leaf) return;
    const inboxId = inboxIdOfCredential(node.leaf.credential);
    if (!inboxId) throw invalid(`leaf ${index / 2} has no XMTP credential`);
    leaves.push({ leafIndex: index / 2, inboxId, installationKey: node.leaf.signaturePublicKey });
  });
  return leaves;
}

export async function validateWelcomeMembership(api: Pick<Client<typeof IdentityApi>, 'getIdentityUpdates'>, state: ClientState): Promise<void> {
  const membership = readGroupMembership(state.groupContext.extensions);
  const leaves = groupLeaves(state);
  const failed = new Set(membership.failedInstallations.map((k) => bytesToHex(k)));
  for (const leaf of leaves) {
    if (membership.members[leaf.inboxId] === undefined) throw invalid(`leaf ${leaf.leafIndex}'s inbox ${leaf.inboxId} is not in GroupMembership`);
  }
  const inboxIds = Object.keys(membership.members);
  const logs = await fetchInboxLogs(api, inboxIds);
  const treeInstallations = new Set(leaves.map((l) => bytesToHex(l.installationKey)));
  for (const inboxId of inboxIds) {
    const sequenceId = membership.members[inboxId]!;
    const log = logs.get(inboxId)!;
    if (!log.entries.some((e) => e.sequenceId === sequenceId)) {
      throw invalid(`GroupMembership lists inbox ${inboxId} at sequence id ${sequenceId}, which is not in its identity log`);
    }
    const installations = new Set(getInstallationIds(await associationStateAt(log, sequenceId)).map((k) => bytesToHex(k)));
    for (const leaf of leaves.filter((l) => l.inboxId === inboxId)) {
      const id = bytesToHex(leaf.installationKey);
      if (!installations.has(id)) throw invalid(`installation ${id} is not in inbox ${inboxId} at sequence id ${sequenceId}`);
    }
    for (const id of installations) {
      if (!treeInstallations.has(id) && !failed.has(id)) throw invalid(`installation ${id} of inbox ${inboxId} is missing from the group`);
    }
    if (!leaves.some((l) => l.inboxId === inboxId)) throw invalid(`inbox ${inboxId} has no installation in the group`);
  }
}
