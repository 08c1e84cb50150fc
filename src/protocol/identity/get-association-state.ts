/**
 * Folds an inbox's whole identity-update log into its association state, as libxmtp's `get_state`.
 * Pure except for the injected verifiers; runs everywhere.
 *
 * Guarantees: updates apply in the order given (the node's sequence order); the whole fold fails if
 * any update fails, with that update's error code and its position in the message; an empty log is
 * `identity.inbox_missing`.
 */
import type { IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import { XmtpError } from '../errors.js';
import { applyUpdate, type ApplyUpdateDependencies } from './apply-update.js';
import type { AssociationState } from './association-state.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';

export type GetAssociationStateDependencies = ApplyUpdateDependencies;
export type GetAssociationStateReturnType = Promise<AssociationState>;

export async function getAssociationState(
  updates: readonly IdentityUpdate[],
  deps: GetAssociationStateDependencies = {},
): GetAssociationStateReturnType {
  let state: AssociationState | undefined;
  for (const [index, update] of updates.entries()) {
    try {
      state = await applyUpdate(state, update, deps);
    } catch (error) {
      const e = XmtpError.from(error);
      throw new XmtpError(e.code, `Update ${index} of ${updates.length}: ${e.message}`, { retryable: e.retryable, cause: error });
    }
  }
  if (!state) throw identityError(IdentityErrorCodes.inboxMissing, 'The inbox has no identity updates');
  return state;
}
