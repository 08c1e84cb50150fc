/**
 * The node's identity verification: every published update is applied with the identity reducer
 * (all signatures verified, every association-state rule checked) on top of the inbox's stored log,
 * exactly as clients resolve inboxes. Node only.
 *
 * The inbox's state after its last stored update is cached (keyed by that update's sequence id), so
 * a publish verifies only the new update; a cold or stale cache folds the whole log again.
 */
import type { IdentityUpdate } from '../../src/gen/identity/associations/association_pb.js';
import { applyUpdate, type ApplyUpdateDependencies } from '../../src/protocol/identity/apply-update.js';
import type { AssociationState } from '../../src/protocol/identity/association-state.js';
import { getAssociationState } from '../../src/protocol/identity/get-association-state.js';
import { memberIdKey } from '../../src/protocol/identity/member-id.js';
import { verifyPasskeySignature } from '../../src/protocol/identity/passkey.js';
import type { SmartContractWalletVerifier } from '../../src/protocol/identity/signature-types.js';
import type { AddressLogChange } from '../store/store.js';

const CACHE_LIMIT = 10_000;

export interface StoredLog {
  /** Sequence id of the last stored update (0n for an empty log). */
  readonly lastSequenceId: bigint;
  readonly updates: readonly IdentityUpdate[];
}

export interface VerifiedPublish {
  readonly state: AssociationState;
  /** Ethereum addresses and passkeys that became members or stopped being members. */
  readonly addressChanges: AddressLogChange[];
}

export class IdentityVerifier {
  readonly #deps: ApplyUpdateDependencies;
  readonly #cache = new Map<string, { lastSequenceId: bigint; state: AssociationState }>();

  constructor(options: { readonly smartContractWallet: SmartContractWalletVerifier }) {
    this.#deps = { verifyPasskey: verifyPasskeySignature, smartContractWallet: options.smartContractWallet };
  }

  /** Verifies `update` on top of `log`; throws the reducer's XmtpError when it must be refused. */
  async verify(inboxId: string, log: StoredLog, update: IdentityUpdate): Promise<VerifiedPublish> {
    const before = await this.#stateOf(inboxId, log);
    const after = await applyUpdate(before, update, this.#deps);
    return { state: after, addressChanges: diffIdentifiers(before, after) };
  }

  /** Records the state of an inbox whose update was stored as `sequenceId`. */
  remember(inboxId: string, sequenceId: bigint, state: AssociationState): void {
    this.#cache.delete(inboxId);
    this.#cache.set(inboxId, { lastSequenceId: sequenceId, state });
    if (this.#cache.size > CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
  }

  async #stateOf(inboxId: string, log: StoredLog): Promise<AssociationState | undefined> {
    if (log.updates.length === 0) return undefined;
    const cached = this.#cache.get(inboxId);
    if (cached && cached.lastSequenceId === log.lastSequenceId) return cached.state;
    const state = await getAssociationState(log.updates, this.#deps);
    this.remember(inboxId, log.lastSequenceId, state);
    return state;
  }
}

/** node-go's address_log follows the state diff; we index passkeys (their hex) the same way. */
function diffIdentifiers(before: AssociationState | undefined, after: AssociationState): AddressLogChange[] {
  const indexed = (state: AssociationState | undefined) => {
    const out = new Map<string, string>();
    for (const m of state?.members ?? []) {
      if (m.identifier.kind === 'ethereum') out.set(memberIdKey(m.identifier), m.identifier.address);
      if (m.identifier.kind === 'passkey') out.set(memberIdKey(m.identifier), Buffer.from(m.identifier.key).toString('hex'));
    }
    return out;
  };
  const was = indexed(before);
  const is = indexed(after);
  const changes: AddressLogChange[] = [];
  for (const [key, address] of is) if (!was.has(key)) changes.push({ address, change: 'added' });
  for (const [key, address] of was) if (!is.has(key)) changes.push({ address, change: 'removed' });
  return changes;
}
