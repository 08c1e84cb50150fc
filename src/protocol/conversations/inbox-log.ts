/**
 * Inbox identity logs as conversations need them: the latest sequence id of each inbox (what
 * GroupMembership 0xFF01 records, hazard 5: real, global, non-contiguous node sequence ids) and the
 * association state at a given sequence id (what welcome validation checks leaves against).
 * Pure; runs everywhere (the transport is injected).
 */
import type { Client } from '@connectrpc/connect';
import type { IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import type { IdentityApi } from '../../gen/identity/api/v1/identity_pb.js';
import type { ApplyUpdateDependencies } from '../identity/apply-update.js';
import type { AssociationState } from '../identity/association-state.js';
import { getAssociationState } from '../identity/get-association-state.js';
import { IdentityErrorCodes, identityError } from '../identity/identity-errors.js';

export interface InboxLog {
  readonly inboxId: string;
  /** In sequence order. */
  readonly entries: readonly { readonly sequenceId: bigint; readonly update: IdentityUpdate }[];
  /** The sequence id of the newest entry. */
  readonly latestSequenceId: bigint;
}

export async function fetchInboxLogs(
  api: Pick<Client<typeof IdentityApi>, 'getIdentityUpdates'>,
  inboxIds: readonly string[],
): Promise<Map<string, InboxLog>> {
  const unique = [...new Set(inboxIds)];
  const { responses } = await api.getIdentityUpdates({ requests: unique.map((inboxId) => ({ inboxId, sequenceId: 0n })) });
  const logs = new Map<string, InboxLog>();
  for (const inboxId of unique) {
    const response = responses.find((r) => r.inboxId === inboxId);
    const entries = (response?.updates ?? [])
      .flatMap((u) => (u.update ? [{ sequenceId: u.sequenceId, update: u.update }] : []))
      .sort((a, b) => (a.sequenceId < b.sequenceId ? -1 : a.sequenceId > b.sequenceId ? 1 : 0));
    const last = entries[entries.length - 1];
    if (!last) throw identityError(IdentityErrorCodes.inboxMissing, `Inbox ${inboxId} has no identity updates on the network`);
    logs.set(inboxId, { inboxId, entries, latestSequenceId: last.sequenceId });
  }
  return logs;
}

/** The inbox's state after every update with a sequence id ≤ `sequenceId` (all of them when omitted). */
export function associationStateAt(log: InboxLog, sequenceId?: bigint, deps?: ApplyUpdateDependencies): Promise<AssociationState> {
  const updates = log.entries.filter((e) => sequenceId === undefined || e.sequenceId <= sequenceId).map((e) => e.update);
  return getAssociationState(updates, deps);
}
