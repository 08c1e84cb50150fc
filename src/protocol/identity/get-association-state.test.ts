import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { PublishIdentityUpdateRequestSchema } from '../../gen/identity/api/v1/identity_pb.js';
import { buildRegistration, buildUpdate, errorOf, inboxIdFor, newInstallation, newWallet } from '../test-support/identity-builder.js';
import { libxmtpRequestBody } from '../test-support/libxmtp-fixtures.js';
import { getIdentifiers, getInstallations } from './association-state.js';
import { getAssociationState } from './get-association-state.js';
import { IdentityErrorCodes } from './identity-errors.js';

describe('getAssociationState', () => {
  test('default: folds a whole log (register, link a wallet, add an installation, revoke one)', async () => {
    const [alice, bob] = [newWallet(), newWallet()];
    const [phone, laptop] = [newInstallation(), newInstallation()];
    const inboxId = inboxIdFor(alice);
    const log = [
      await buildRegistration(alice, phone),
      await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: alice, newMember: bob }] }),
      await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: bob, newMember: laptop }] }),
      await buildUpdate({ inboxId, actions: [{ kind: 'revoke', recovery: alice, member: phone.identifier }] }),
    ];
    const state = await getAssociationState(log);
    // libxmtp order: by the time they were added; the first identifier (no timestamp) last.
    expect(getIdentifiers(state)).toEqual([bob.identifier, alice.identifier]);
    expect(getInstallations(state).map((i) => i.key)).toEqual([laptop.publicKey]);
    // 2 (registration: one wallet signature used twice + the installation's) + 2 + 2 + 1.
    expect(state.seenSignatures).toHaveLength(7);
  });

  test('behavior: the real libxmtp registration alone is a valid log', async () => {
    const update = fromBinary(PublishIdentityUpdateRequestSchema, libxmtpRequestBody('PublishIdentityUpdate')).identityUpdate!;
    expect((await getAssociationState([update])).inboxId).toBe(update.inboxId);
  });

  test('error: the whole fold fails on a bad update, with its code and position', async () => {
    const alice = newWallet();
    const registration = await buildRegistration(alice, newInstallation());
    const error = await errorOf(() => getAssociationState([registration, registration]));
    expect(error.code).toBe(IdentityErrorCodes.inboxExists);
    expect(error.message).toMatch(/^Update 1 of 2: /);
  });

  test('error: an empty log (identity.inbox_missing)', async () => {
    expect((await errorOf(() => getAssociationState([]))).code).toBe(IdentityErrorCodes.inboxMissing);
  });
});
