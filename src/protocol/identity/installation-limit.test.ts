import { describe, expect, test } from 'vitest';
import { buildRegistration, buildUpdate, errorOf, inboxIdFor, newInstallation, newWallet } from '../test-support/identity-builder.js';
import { applyUpdate } from './apply-update.js';
import { getInstallations, type AssociationState } from './association-state.js';
import { IdentityErrorCodes } from './identity-errors.js';
import { checkInstallationLimit, MAX_INSTALLATIONS_PER_INBOX } from './installation-limit.js';

describe('checkInstallationLimit', () => {
  test('default: room for installations up to the limit of 10; refused at 10 (identity.too_many_installations)', async () => {
    expect(MAX_INSTALLATIONS_PER_INBOX).toBe(10);
    const alice = newWallet();
    let state: AssociationState = await applyUpdate(undefined, await buildRegistration(alice, newInstallation()));
    while (getInstallations(state).length < MAX_INSTALLATIONS_PER_INBOX) {
      expect(() => checkInstallationLimit(state)).not.toThrow();
      state = await applyUpdate(state, await buildUpdate({ inboxId: inboxIdFor(alice), actions: [{ kind: 'add', existing: alice, newMember: newInstallation() }] }));
    }
    const error = await errorOf(() => checkInstallationLimit(state));
    expect(error.code).toBe(IdentityErrorCodes.tooManyInstallations);
    expect(error.message).toContain('already has 10 installations');
  });

  test('behavior: the limit is client-side only: the reducer still accepts an 11th installation, as the network does', async () => {
    const alice = newWallet();
    let state: AssociationState = await applyUpdate(undefined, await buildRegistration(alice, newInstallation()));
    for (let i = 0; i < MAX_INSTALLATIONS_PER_INBOX; i++) {
      state = await applyUpdate(state, await buildUpdate({ inboxId: inboxIdFor(alice), actions: [{ kind: 'add', existing: alice, newMember: newInstallation() }] }));
    }
    expect(getInstallations(state)).toHaveLength(11);
  });
});
