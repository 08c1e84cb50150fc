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
import { XmtpError } from '../errors.js';
import { applyUpdate } from '../identity/apply-update.js';
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

/**
 * States already computed, keyed by inbox and the sequence id of the last update applied. An inbox
 * log only grows (each entry signed, its sequence id fixed), so a state once verified at a sequence
 * id stays valid: later calls resume from the newest cached prefix and verify only what is new.
 * In memory only; bounded.
 */
const verified = new Map<string, AssociationState>();
const CACHE_LIMIT = 20_000;
const cacheKey = (inboxId: string, sequenceId: bigint) => `${inboxId}:${sequenceId}`;

function remember(key: string, state: AssociationState): void {
  verified.delete(key);
  verified.set(key, state);
  if (verified.size > CACHE_LIMIT) verified.delete(verified.keys().next().value!);
}

/** The inbox's state after every update with a sequence id ≤ `sequenceId` (all of them when omitted). */
export async function associationStateAt(log: InboxLog, sequenceId?: bigint, deps?: ApplyUpdateDependencies): Promise<AssociationState> {
  const entries = log.entries.filter((e) => sequenceId === undefined || e.sequenceId <= sequenceId);
  if (entries.length === 0) return getAssociationState([], deps); // throws: no updates
  let start = 0;
  let state: AssociationState | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const hit = verified.get(cacheKey(log.inboxId, entries[i]!.sequenceId));
    if (hit) {
      state = hit;
      start = i + 1;
      break;
    }
  }
  for (let i = start; i < entries.length; i++) {
    const entry = entries[i]!;
    try {
      state = await applyUpdate(state, entry.update, deps);
    } catch (error) {
      const e = XmtpError.from(error);
      throw new XmtpError(e.code, `Update ${i} of ${entries.length} of inbox ${log.inboxId}: ${e.message}`, { retryable: e.retryable, cause: error });
    }
    remember(cacheKey(log.inboxId, entry.sequenceId), state);
  }
  return state!;
}
