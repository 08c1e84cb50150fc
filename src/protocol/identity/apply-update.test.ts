import { clone, fromBinary } from '@bufbuild/protobuf';
import { bytesToHex } from '@noble/hashes/utils.js';
import { beforeAll, describe, expect, test } from 'vitest';
import { PublishIdentityUpdateRequestSchema } from '../../gen/identity/api/v1/identity_pb.js';
import { IdentityUpdateSchema, type IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import {
  acceptingScwVerifier,
  buildRegistration,
  buildUpdate,
  errorOf,
  fakePasskeyVerifier,
  impostor,
  inboxIdFor,
  newInstallation,
  newPasskeySigner,
  newScwSigner,
  newWallet,
  type TestInstallation,
  type TestWallet,
} from '../test-support/identity-builder.js';
import { libxmtpRequestBody } from '../test-support/libxmtp-fixtures.js';
import { applyUpdate, type ApplyUpdateDependencies } from './apply-update.js';
import { findMember, getIdentifiers, getInstallations, getRecoveryIdentifier, type AssociationState } from './association-state.js';
import { IdentityErrorCodes } from './identity-errors.js';
import type { IdentitySigner } from './identity-signer.js';
import { DEFAULT_INBOX_NONCE } from './inbox-id.js';
import type { MemberId } from './signature-types.js';

const deps: ApplyUpdateDependencies = { smartContractWallet: acceptingScwVerifier, verifyPasskey: fakePasskeyVerifier };
const libxmtpRegistration = () => fromBinary(PublishIdentityUpdateRequestSchema, libxmtpRequestBody('PublishIdentityUpdate')).identityUpdate!;

async function applyAll(updates: IdentityUpdate[], state?: AssociationState): Promise<AssociationState> {
  for (const update of updates) state = await applyUpdate(state, update, deps);
  return state!;
}

let alice: TestWallet;
let bob: TestWallet;
let carol: TestWallet;
let phone: TestInstallation;
let laptop: TestInstallation;
let inboxId: string;
let registered: AssociationState;

beforeAll(async () => {
  [alice, bob, carol] = [newWallet(), newWallet(), newWallet()];
  [phone, laptop] = [newInstallation(), newInstallation()];
  inboxId = inboxIdFor(alice);
  registered = await applyUpdate(undefined, await buildRegistration(alice, phone), deps);
});

const add = (existing: IdentitySigner, newMember: IdentitySigner, id = inboxId) => buildUpdate({ inboxId: id, actions: [{ kind: 'add', existing, newMember }] });
const revoke = (recovery: IdentitySigner, member: MemberId) => buildUpdate({ inboxId, actions: [{ kind: 'revoke', recovery, member }] });

describe('applyUpdate', () => {
  test('default: a real libxmtp 1.10 registration gives the state libxmtp reports (identity, installation, recovery)', async () => {
    const update = libxmtpRegistration();
    const state = await applyUpdate(undefined, update, {});
    const fixture = { address: '0x8a1c2998fd172337eec68902477db2fc005fc8d8', installationId: 'f4de385e8ed641d5a6f4569d8a962940e09078c7c14997be5990a1365ca53850' };
    expect(state.inboxId).toBe('1f25de476c59279fff6ebf48255a09d1c6b59db2ac659ebf1342031f8a772c8c');
    expect(getIdentifiers(state)).toEqual([{ kind: 'ethereum', address: fixture.address }]);
    expect(getInstallations(state).map((i) => i.id)).toEqual([fixture.installationId]);
    expect(getRecoveryIdentifier(state)).toEqual({ kind: 'ethereum', address: fixture.address });
    const installation = getInstallations(state)[0]!;
    expect(findMember(state, { kind: 'installation', key: installation.key })).toEqual({
      identifier: { kind: 'installation', key: installation.key },
      addedByEntity: { kind: 'ethereum', address: fixture.address },
      clientTimestampNs: update.clientTimestampNs,
    });
    // The wallet signature is used by both actions but recorded once, plus the installation's.
    expect(state.seenSignatures).toHaveLength(2);
  });

  test('behavior: our registration (libxmtp shape, default nonce 1) creates the inbox with its installation', async () => {
    expect(registered.inboxId).toBe(inboxIdFor(alice, DEFAULT_INBOX_NONCE));
    expect(registered.members.map((m) => m.identifier)).toEqual([alice.identifier, phone.identifier]);
    expect(findMember(registered, phone.identifier)?.addedByEntity).toEqual(alice.identifier);
    expect(getRecoveryIdentifier(registered)).toEqual(alice.identifier);
  });

  test('behavior: one wallet signature reused by several actions inside one update is accepted and recorded once', async () => {
    const update = await buildUpdate({
      inboxId,
      actions: [
        { kind: 'add', existing: alice, newMember: bob },
        { kind: 'add', existing: alice, newMember: laptop },
      ],
    });
    const state = await applyUpdate(registered, update, deps);
    expect(getInstallations(state)).toHaveLength(2);
    expect(state.seenSignatures).toHaveLength(registered.seenSignatures.length + 3);
  });

  describe('CreateInbox', () => {
    test('error: the inbox already exists (identity.inbox_exists)', async () => {
      const error = await errorOf(async () => applyUpdate(registered, await buildRegistration(alice, laptop), deps));
      expect(error.code).toBe(IdentityErrorCodes.inboxExists);
      expect(error.message).toContain('already exists');
    });

    test('error: the initial identifier signed by someone else (identity.initial_signer_mismatch)', async () => {
      const forged = impostor(alice.identifier, bob);
      const update = await buildUpdate({ inboxId, actions: [{ kind: 'createInbox', signer: forged }] });
      const error = await errorOf(() => applyUpdate(undefined, update, deps));
      expect(error.code).toBe(IdentityErrorCodes.initialSignerMismatch);
      expect(error.message).toContain(bob.address);
    });

    test('error: an inbox id that is not derived from the identifier and nonce (identity.inbox_id_mismatch)', async () => {
      const update = await buildUpdate({ inboxId: inboxIdFor(alice, 7n), actions: [{ kind: 'createInbox', signer: alice, nonce: 1n }] });
      const error = await errorOf(() => applyUpdate(undefined, update, deps));
      expect(error.code).toBe(IdentityErrorCodes.inboxIdMismatch);
    });

    test('behavior: a passkey can create an inbox (passkey signature for a passkey identifier)', async () => {
      const passkey = newPasskeySigner();
      const update = await buildUpdate({ inboxId: inboxIdFor(passkey), actions: [{ kind: 'createInbox', signer: passkey }, { kind: 'add', existing: passkey, newMember: laptop }] });
      const state = await applyUpdate(undefined, update, deps);
      expect(getRecoveryIdentifier(state)).toMatchObject({ kind: 'passkey', key: passkey.identifier.key });
      expect(findMember(state, laptop.identifier)?.addedByEntity).toMatchObject({ kind: 'passkey', key: passkey.identifier.key });
    });
  });

  describe('AddAssociation', () => {
    test('error: the inbox does not exist yet (identity.inbox_missing)', async () => {
      const error = await errorOf(async () => applyUpdate(undefined, await add(alice, laptop), deps));
      expect(error.code).toBe(IdentityErrorCodes.inboxMissing);
    });

    test('error: replaying an update whose signatures were already seen (identity.replayed_signature)', async () => {
      const update = await add(alice, bob);
      const state = await applyUpdate(registered, update, deps);
      const error = await errorOf(() => applyUpdate(state, clone(IdentityUpdateSchema, update), deps));
      expect(error.code).toBe(IdentityErrorCodes.replayedSignature);
      expect(error.message).toContain('replay');
    });

    test("error: the new member's signature is from someone else (identity.new_member_signer_mismatch)", async () => {
      const error = await errorOf(async () => applyUpdate(registered, await add(alice, impostor(laptop.identifier, newInstallation())), deps));
      expect(error.code).toBe(IdentityErrorCodes.newMemberSignerMismatch);
    });

    test('error: the existing signer is neither a member nor the recovery identifier (identity.signer_not_member)', async () => {
      const error = await errorOf(async () => applyUpdate(registered, await add(carol, laptop), deps));
      expect(error.code).toBe(IdentityErrorCodes.signerNotMember);
      expect(error.message).toContain(carol.address);
    });

    test('behavior: the recovery identifier may add members even after it was revoked as a member', async () => {
      const state = await applyAll([await revoke(alice, alice.identifier), await add(alice, laptop)], registered);
      expect(findMember(state, alice.identifier)).toBeUndefined();
      expect(findMember(state, laptop.identifier)?.addedByEntity).toEqual(alice.identifier);
    });

    test('error: a member cannot add itself (identity.cannot_add_self)', async () => {
      const error = await errorOf(async () => applyUpdate(registered, await add(alice, alice), deps));
      expect(error.code).toBe(IdentityErrorCodes.cannotAddSelf);
    });

    test('error: an installation cannot add an installation (identity.member_not_allowed)', async () => {
      const error = await errorOf(async () => applyUpdate(registered, await add(phone, laptop), deps));
      expect(error.code).toBe(IdentityErrorCodes.memberNotAllowed);
      expect(error.message).toContain('an installation cannot add an installation');
    });

    test('behavior: an installation may add a wallet, and that wallet may add installations', async () => {
      const state = await applyAll([await add(phone, bob), await add(bob, laptop)], registered);
      expect(findMember(state, bob.identifier)?.addedByEntity).toEqual(phone.identifier);
      expect(findMember(state, laptop.identifier)?.addedByEntity).toEqual(bob.identifier);
    });

    test('error: a smart-contract wallet member must sign from the chain it was added on (identity.chain_id_mismatch)', async () => {
      const base = newScwSigner(8453n);
      const sameWalletOtherChain = newScwSigner(1n, base.identifier.address);
      const state = await applyUpdate(registered, await add(alice, base), deps);
      expect(findMember(state, base.identifier)?.addedOnChainId).toBe(8453n);
      // Same chain: fine. Another chain: refused.
      await expect(applyUpdate(state, await add(base, laptop), deps)).resolves.toBeDefined();
      const error = await errorOf(async () => applyUpdate(state, await add(sameWalletOtherChain, laptop), deps));
      expect(error.code).toBe(IdentityErrorCodes.chainIdMismatch);
      expect(error.message).toContain('added on chain 8453 but signed on chain 1');
    });

    test('error: the update names another inbox than the one its actions apply to (identity.inbox_id_mismatch)', async () => {
      const error = await errorOf(async () => applyUpdate(registered, await add(alice, laptop, inboxIdFor(bob)), deps));
      expect(error.code).toBe(IdentityErrorCodes.inboxIdMismatch);
    });
  });

  describe('RevokeAssociation', () => {
    test('error: only the recovery identifier may revoke, not another member (identity.not_recovery_identifier)', async () => {
      const state = await applyUpdate(registered, await add(alice, bob), deps);
      const error = await errorOf(async () => applyUpdate(state, await revoke(bob, phone.identifier), deps));
      expect(error.code).toBe(IdentityErrorCodes.notRecoveryIdentifier);
    });

    test('behavior: revoking removes the member and the installations it added (libxmtp 1.10 keeps identifiers it added)', async () => {
      // alice adds bob; bob adds laptop; the phone (added by alice) adds carol.
      const state = await applyAll([await add(alice, bob), await add(bob, laptop), await add(phone, carol)], registered);
      const withoutBob = await applyUpdate(state, await revoke(alice, bob.identifier), deps);
      expect(withoutBob.members.map((m) => m.identifier)).toEqual([alice.identifier, phone.identifier, carol.identifier]);
      const withoutPhone = await applyUpdate(withoutBob, await revoke(alice, phone.identifier), deps);
      expect(withoutPhone.members.map((m) => m.identifier)).toEqual([alice.identifier, carol.identifier]);
    });

    test('behavior: revoking a wallet removes every installation it added', async () => {
      const state = await applyAll([await add(alice, bob), await add(bob, laptop)], registered);
      const other = newInstallation();
      const more = await applyUpdate(state, await add(bob, other), deps);
      const after = await applyUpdate(more, await revoke(alice, bob.identifier), deps);
      expect(getInstallations(after).map((i) => i.id)).toEqual([bytesToHex(phone.publicKey)]);
    });

    test('behavior: revoking something that is not a member changes nothing but the seen signatures', async () => {
      const after = await applyUpdate(registered, await revoke(alice, carol.identifier), deps);
      expect(after.members).toEqual(registered.members);
      expect(after.seenSignatures.length).toBe(registered.seenSignatures.length + 1);
    });
  });

  describe('ChangeRecoveryAddress', () => {
    test('error: only the current recovery identifier may change it (identity.not_recovery_identifier)', async () => {
      const state = await applyUpdate(registered, await add(alice, bob), deps);
      const update = await buildUpdate({ inboxId, actions: [{ kind: 'changeRecoveryAddress', recovery: bob, newRecovery: bob.identifier }] });
      const error = await errorOf(() => applyUpdate(state, update, deps));
      expect(error.code).toBe(IdentityErrorCodes.notRecoveryIdentifier);
    });

    test('behavior: after a change, the new recovery identifier revokes and the old one cannot', async () => {
      const change = await buildUpdate({ inboxId, actions: [{ kind: 'changeRecoveryAddress', recovery: alice, newRecovery: bob.identifier }] });
      const state = await applyUpdate(registered, change, deps);
      expect(getRecoveryIdentifier(state)).toEqual(bob.identifier);
      expect((await errorOf(async () => applyUpdate(state, await revoke(alice, phone.identifier), deps))).code).toBe(IdentityErrorCodes.notRecoveryIdentifier);
      const revoked = await applyUpdate(state, await revoke(bob, phone.identifier), deps);
      expect(getInstallations(revoked)).toEqual([]);
    });
  });

  describe('state as a value', () => {
    test('behavior: applyUpdate never mutates its input state, even an unfrozen clone', async () => {
      const input = structuredClone(registered);
      const before = structuredClone(input);
      const after = await applyUpdate(input, await add(alice, laptop), deps);
      expect(input).toEqual(before);
      expect(after).not.toBe(input);
      expect(after.members).toHaveLength(3);
      // Nothing is shared: the output's keys are not the input's buffers.
      expect(after.members[1]!.identifier).not.toBe(input.members[1]!.identifier);
    });

    test('behavior: the state is frozen and survives structuredClone unchanged', async () => {
      const state = await applyUpdate(registered, await add(alice, laptop), deps);
      expect(Object.isFrozen(state)).toBe(true);
      expect(Object.isFrozen(state.members)).toBe(true);
      expect(Object.isFrozen(state.members[0])).toBe(true);
      expect(() => (state.members as unknown as unknown[]).push(1)).toThrow();
      expect(structuredClone(state)).toEqual(state);
      // A clone works as input just like the original.
      const next = await add(alice, bob);
      expect(await applyUpdate(structuredClone(state), next, deps)).toEqual(await applyUpdate(state, next, deps));
    });

    test('error: a failed update leaves the input state as it was', async () => {
      const before = structuredClone(registered);
      await errorOf(async () => applyUpdate(registered, await add(phone, laptop), deps));
      expect(registered).toEqual(before);
    });
  });
});
