import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { IdentifierKind, IdentityUpdateSchema, type IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import { errorOf } from '../test-support/identity-builder.js';
import { applyVerifiedUpdate } from './apply-verified-update.js';
import type { AssociationState } from './association-state.js';
import { IdentityErrorCodes } from './identity-errors.js';
import { deriveInboxId } from './inbox-id.js';
import type { MemberId, SignatureKind, VerifiedSignature } from './signature-types.js';
import type { VerifiedAction } from './verify-update-signatures.js';

// Pure reducer tests with hand-made verified signatures: they reach the rules that real signatures
// cannot (a signature kind that does not match its signer's kind, legacy signatures, chain ids).
const wallet = (n: number): MemberId => ({ kind: 'ethereum', address: `0x${n.toString(16).padStart(40, '0')}` });
const installation = (n: number): MemberId => ({ kind: 'installation', key: new Uint8Array(32).fill(n) });
let counter = 0;
const sig = (signer: MemberId, kind: SignatureKind, chainId?: bigint): VerifiedSignature => ({
  kind,
  signer,
  replayKey: new Uint8Array([++counter, counter >> 8]),
  ...(chainId === undefined ? {} : { chainId }),
});

const owner = wallet(1);
const ownerAddress = (owner as { address: string }).address;

function update(inboxId: string, actions: MessageInitShape<typeof IdentityUpdateSchema>['actions']): IdentityUpdate {
  return create(IdentityUpdateSchema, { inboxId, clientTimestampNs: 5n, actions });
}
const createAction = (nonce = 1n, identifier = ownerAddress) =>
  ({ kind: { case: 'createInbox', value: { initialIdentifier: identifier, nonce, initialIdentifierKind: IdentifierKind.ETHEREUM } } }) as const;
const memberProto = (id: MemberId) =>
  id.kind === 'ethereum'
    ? { kind: { case: 'ethereumAddress' as const, value: id.address } }
    : id.kind === 'installation'
      ? { kind: { case: 'installationPublicKey' as const, value: id.key } }
      : { kind: { case: 'passkey' as const, value: { key: id.key } } };
const addAction = (member: MemberId) => ({ kind: { case: 'add', value: { newMemberIdentifier: memberProto(member) } } }) as const;
const revokeAction = (member: MemberId) => ({ kind: { case: 'revoke', value: { memberToRevoke: memberProto(member) } } }) as const;
const changeAction = (to: string) => ({ kind: { case: 'changeRecoveryAddress', value: { newRecoveryIdentifier: to } } }) as const;

function created(nonce = 1n, createSignature = sig(owner, 'erc191')): AssociationState {
  const id = deriveInboxId(ownerAddress, nonce);
  return applyVerifiedUpdate(undefined, update(id, [createAction(nonce)]), [{ case: 'createInbox', initialIdentifierSignature: createSignature }]);
}

describe('applyVerifiedUpdate', () => {
  test('default: CreateInbox makes the identifier the first member and the recovery identifier', () => {
    const state = created();
    expect(state).toEqual({
      inboxId: deriveInboxId(ownerAddress, 1n),
      members: [{ identifier: owner }],
      recoveryIdentifier: owner,
      seenSignatures: [expect.any(String)],
    });
  });

  test('behavior: pure: the same inputs give equal outputs and the update is not touched', () => {
    const state = created();
    const u = update(state.inboxId, [addAction(installation(2))]);
    const verified: VerifiedAction[] = [{ case: 'add', existingMemberSignature: sig(owner, 'erc191'), newMemberSignature: sig(installation(2), 'installation-key') }];
    const snapshot = structuredClone(u);
    expect(applyVerifiedUpdate(state, u, verified)).toEqual(applyVerifiedUpdate(state, u, verified));
    expect(u).toEqual(snapshot);
  });

  test('error: a signature kind the member kind may not use (identity.signature_kind_not_allowed)', async () => {
    const state = created();
    const cases: VerifiedAction[] = [
      // An installation "signing" with ERC-191.
      { case: 'add', existingMemberSignature: sig(owner, 'erc191'), newMemberSignature: sig(installation(2), 'erc191') },
      // A wallet "signing" with an installation key.
      { case: 'add', existingMemberSignature: sig(owner, 'installation-key'), newMemberSignature: sig(installation(2), 'installation-key') },
      // A wallet "signing" with a passkey.
      { case: 'add', existingMemberSignature: sig(owner, 'passkey'), newMemberSignature: sig(installation(2), 'installation-key') },
    ];
    for (const verified of cases) {
      const error = await errorOf(() => applyVerifiedUpdate(state, update(state.inboxId, [addAction(installation(2))]), [verified]));
      expect(error.code).toBe(IdentityErrorCodes.signatureKindNotAllowed);
    }
    const passkeyCreate = await errorOf(() =>
      applyVerifiedUpdate(undefined, update(deriveInboxId(ownerAddress, 1n), [createAction()]), [{ case: 'createInbox', initialIdentifierSignature: sig(owner, 'passkey') }]),
    );
    expect(passkeyCreate.code).toBe(IdentityErrorCodes.signatureKindNotAllowed);
  });

  test('behavior: ERC-1271 signatures are allowed for Ethereum members and record the chain', () => {
    const state = created(1n, sig(owner, 'erc1271', 10n));
    expect(state.members[0]!.addedOnChainId).toBe(10n);
  });

  test('error: a legacy delegated signature may only create an inbox with nonce 0 (identity.legacy_signature_not_allowed)', async () => {
    expect(created(0n, sig(owner, 'legacy-delegated')).inboxId).toBe(deriveInboxId(ownerAddress, 0n));
    expect((await errorOf(() => created(1n, sig(owner, 'legacy-delegated')))).code).toBe(IdentityErrorCodes.legacySignatureNotAllowed);
  });

  test('error: legacy delegated signatures cannot add members to an inbox with nonce ≠ 0', async () => {
    const state = created(1n);
    const error = await errorOf(() =>
      applyVerifiedUpdate(state, update(state.inboxId, [addAction(installation(2))]), [
        { case: 'add', existingMemberSignature: sig(owner, 'legacy-delegated'), newMemberSignature: sig(installation(2), 'installation-key') },
      ]),
    );
    expect(error.code).toBe(IdentityErrorCodes.legacySignatureNotAllowed);
  });

  test('error: the recovery identifier (not a member) cannot add with a legacy signature', async () => {
    const state0 = created(0n);
    const revoked = applyVerifiedUpdate(state0, update(state0.inboxId, [revokeAction(owner)]), [{ case: 'revoke', recoveryIdentifierSignature: sig(owner, 'erc191') }]);
    expect(revoked.members).toEqual([]);
    const error = await errorOf(() =>
      applyVerifiedUpdate(revoked, update(revoked.inboxId, [addAction(installation(2))]), [
        { case: 'add', existingMemberSignature: sig(owner, 'legacy-delegated'), newMemberSignature: sig(installation(2), 'installation-key') },
      ]),
    );
    expect(error.code).toBe(IdentityErrorCodes.legacySignatureNotAllowed);
  });

  test('error: revoke and change-recovery refuse legacy signatures', async () => {
    const state = created(0n);
    for (const [action, verified] of [
      [revokeAction(installation(3)), { case: 'revoke', recoveryIdentifierSignature: sig(owner, 'legacy-delegated') }],
      [changeAction((wallet(9) as { address: string }).address), { case: 'changeRecoveryAddress', existingRecoveryIdentifierSignature: sig(owner, 'legacy-delegated') }],
    ] as const) {
      expect((await errorOf(() => applyVerifiedUpdate(state, update(state.inboxId, [action]), [verified]))).code).toBe(IdentityErrorCodes.legacySignatureNotAllowed);
    }
  });

  test('error: the recovery identifier added on one chain cannot revoke or change recovery from another (identity.chain_id_mismatch)', async () => {
    const state = created(1n, sig(owner, 'erc1271', 10n));
    for (const [action, verified] of [
      [revokeAction(installation(3)), { case: 'revoke', recoveryIdentifierSignature: sig(owner, 'erc1271', 1n) }],
      [changeAction((wallet(9) as { address: string }).address), { case: 'changeRecoveryAddress', existingRecoveryIdentifierSignature: sig(owner, 'erc1271', 1n) }],
    ] as const) {
      const error = await errorOf(() => applyVerifiedUpdate(state, update(state.inboxId, [action]), [verified]));
      expect(error.code).toBe(IdentityErrorCodes.chainIdMismatch);
    }
    // An EOA signature by a member added through a smart-contract wallet is refused too (no chain ≠ chain 10).
    const error = await errorOf(() =>
      applyVerifiedUpdate(state, update(state.inboxId, [revokeAction(installation(3))]), [{ case: 'revoke', recoveryIdentifierSignature: sig(owner, 'erc191') }]),
    );
    expect(error.code).toBe(IdentityErrorCodes.chainIdMismatch);
  });

  test('error: replay of a signature already seen, checked per action against earlier updates only', async () => {
    const state = created();
    const reused = sig(owner, 'erc191');
    const once = applyVerifiedUpdate(state, update(state.inboxId, [addAction(installation(2)), addAction(installation(3))]), [
      { case: 'add', existingMemberSignature: reused, newMemberSignature: sig(installation(2), 'installation-key') },
      { case: 'add', existingMemberSignature: reused, newMemberSignature: sig(installation(3), 'installation-key') },
    ]);
    expect(once.members).toHaveLength(3);
    const error = await errorOf(() =>
      applyVerifiedUpdate(once, update(state.inboxId, [revokeAction(installation(2))]), [{ case: 'revoke', recoveryIdentifierSignature: reused }]),
    );
    expect(error.code).toBe(IdentityErrorCodes.replayedSignature);
  });

  test('error: CreateInbox with an identifier that is not a 0x address cannot derive an inbox id (identity.invalid_identifier)', async () => {
    const bad: MemberId = { kind: 'ethereum', address: 'not-an-address' };
    const error = await errorOf(() =>
      applyVerifiedUpdate(undefined, update('ab'.repeat(32), [createAction(1n, 'not-an-address')]), [{ case: 'createInbox', initialIdentifierSignature: sig(bad, 'erc191') }]),
    );
    expect(error.code).toBe(IdentityErrorCodes.invalidIdentifier);
  });

  test('error: verified signatures that do not line up with the actions (identity.malformed_update)', async () => {
    const state = created();
    const u = update(state.inboxId, [addAction(installation(2))]);
    expect((await errorOf(() => applyVerifiedUpdate(state, u, []))).code).toBe(IdentityErrorCodes.malformedUpdate);
    expect((await errorOf(() => applyVerifiedUpdate(state, u, [{ case: 'revoke', recoveryIdentifierSignature: sig(owner, 'erc191') }]))).code).toBe(
      IdentityErrorCodes.malformedUpdate,
    );
  });

  test('behavior: an update with no actions leaves the members as they are; with no state it is inbox_missing', async () => {
    const state = created();
    expect(applyVerifiedUpdate(state, update(state.inboxId, []), [])).toEqual(state);
    expect((await errorOf(() => applyVerifiedUpdate(undefined, update(state.inboxId, []), []))).code).toBe(IdentityErrorCodes.inboxMissing);
  });

  test('behavior: re-adding a member replaces its record in place (libxmtp inserts into a map)', () => {
    const state = created();
    const other = wallet(7);
    const first = applyVerifiedUpdate(state, update(state.inboxId, [addAction(installation(2)), addAction(other)]), [
      { case: 'add', existingMemberSignature: sig(owner, 'erc191'), newMemberSignature: sig(installation(2), 'installation-key') },
      { case: 'add', existingMemberSignature: sig(owner, 'erc191'), newMemberSignature: sig(other, 'erc191') },
    ]);
    const again = applyVerifiedUpdate(first, update(state.inboxId, [addAction(installation(2))]), [
      { case: 'add', existingMemberSignature: sig(other, 'erc191'), newMemberSignature: sig(installation(2), 'installation-key') },
    ]);
    expect(again.members.map((m) => m.identifier)).toEqual([owner, installation(2), other]);
    expect(again.members[1]!.addedByEntity).toEqual(other);
  });
});
