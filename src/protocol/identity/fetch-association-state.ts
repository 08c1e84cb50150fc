/**
 * Resolves any inbox the way clients do: its whole identity log from the network, folded with the
 * identity reducer (every signature verified). Pure; runs everywhere (the transport is injected).
 */
import type { Client } from '@connectrpc/connect';
import type { IdentityApi } from '../../gen/identity/api/v1/identity_pb.js';
import type { ApplyUpdateDependencies } from './apply-update.js';
import type { AssociationState } from './association-state.js';
import { getAssociationState } from './get-association-state.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';

export interface FetchAssociationStateParameters {
  readonly api: Pick<Client<typeof IdentityApi>, 'getIdentityUpdates'>;
  readonly inboxId: string;
  /** Verifiers for passkey and smart-contract-wallet signatures in the log. */
  readonly verify?: ApplyUpdateDependencies;
}

export async function fetchAssociationState({ api, inboxId, verify }: FetchAssociationStateParameters): Promise<AssociationState> {
  const { responses } = await api.getIdentityUpdates({ requests: [{ inboxId, sequenceId: 0n }] });
  const updates = (responses[0]?.updates ?? []).map((u) => u.update).filter((u) => u !== undefined);
  if (updates.length === 0) throw identityError(IdentityErrorCodes.inboxMissing, `Inbox ${inboxId} has no identity updates on the network`);
  return getAssociationState(updates, verify);
}
