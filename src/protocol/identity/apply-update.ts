/**
 * Verifies an identity update's signatures and applies it to an inbox's association state: the
 * whole check libxmtp and the network's node make before an update counts. Pure except for the
 * injected verifiers (passkeys, smart-contract wallets over a chain RPC); runs everywhere.
 *
 * Guarantees: never mutates `state`; resolves to a fresh frozen state, or rejects with an identity
 * XmtpError (a bad signature, or the rule of `applyVerifiedUpdate` the update breaks).
 */
import type { IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import { applyVerifiedUpdate } from './apply-verified-update.js';
import type { AssociationState } from './association-state.js';
import { verifyUpdateSignatures, type VerifyUpdateSignaturesDependencies } from './verify-update-signatures.js';

export type ApplyUpdateDependencies = VerifyUpdateSignaturesDependencies;
export type ApplyUpdateReturnType = Promise<AssociationState>;

export async function applyUpdate(
  state: AssociationState | undefined,
  update: IdentityUpdate,
  deps: ApplyUpdateDependencies = {},
): ApplyUpdateReturnType {
  const verified = await verifyUpdateSignatures(update, deps);
  return applyVerifiedUpdate(state, update, verified);
}
