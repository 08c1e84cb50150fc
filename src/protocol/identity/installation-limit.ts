/**
 * libxmtp's installation limit: a client refuses to register a new installation on an inbox that
 * already has 10 (`MAX_INSTALLATIONS_PER_INBOX`, checked in `Identity::new`). Client-side only: the
 * network's node accepts more, and so does the reducer. Pure; runs everywhere.
 */
import { getInstallationIds, type AssociationState } from './association-state.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';

export const MAX_INSTALLATIONS_PER_INBOX = 10;

/** Throws `identity.too_many_installations` when `state` has no room for another installation. */
export function checkInstallationLimit(state: AssociationState): void {
  const count = getInstallationIds(state).length;
  if (count >= MAX_INSTALLATIONS_PER_INBOX) {
    throw identityError(
      IdentityErrorCodes.tooManyInstallations,
      `Inbox ${state.inboxId} already has ${count} installations (the limit is ${MAX_INSTALLATIONS_PER_INBOX}): revoke one before adding this one`,
    );
  }
}
