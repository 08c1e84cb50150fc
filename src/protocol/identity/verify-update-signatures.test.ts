import { create } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { SignatureSchema } from '../../gen/identity/associations/signature_pb.js';
import { buildRegistration, buildUpdate, errorOf, inboxIdFor, newInstallation, newScwSigner, newWallet } from '../test-support/identity-builder.js';
import { IdentityErrorCodes } from './identity-errors.js';
import type { SmartContractWalletVerifier } from './signature-types.js';
import { verifyUpdateSignatures } from './verify-update-signatures.js';

describe('verifyUpdateSignatures', () => {
  test('default: verified signatures per action, in action order', async () => {
    const [wallet, installation] = [newWallet(), newInstallation()];
    const verified = await verifyUpdateSignatures(await buildRegistration(wallet, installation));
    expect(verified).toMatchObject([
      { case: 'createInbox', initialIdentifierSignature: { kind: 'erc191', signer: wallet.identifier } },
      { case: 'add', existingMemberSignature: { kind: 'erc191', signer: wallet.identifier }, newMemberSignature: { kind: 'installation-key', signer: installation.identifier } },
    ]);
  });

  test('behavior: a signature reused by several actions is verified once (one chain call for a smart-contract wallet)', async () => {
    const scw = newScwSigner(8453n);
    let calls = 0;
    const verifier: SmartContractWalletVerifier = { verify: () => (calls++, Promise.resolve({ isValid: true })) };
    const verified = await verifyUpdateSignatures(await buildRegistration(scw, newInstallation()), { smartContractWallet: verifier });
    expect(calls).toBe(1);
    expect(verified[0]).toMatchObject({ initialIdentifierSignature: { kind: 'erc1271', chainId: 8453n } });
  });

  test('error: the first failing signature in action order is reported', async () => {
    const wallet = newWallet();
    const update = await buildUpdate({
      inboxId: inboxIdFor(wallet),
      actions: [
        { kind: 'add', existing: wallet, newMember: newInstallation() },
        { kind: 'add', existing: wallet, newMember: newInstallation() },
      ],
    });
    const [first, second] = update.actions.map((a) => a.kind);
    if (first?.case !== 'add' || second?.case !== 'add') throw new Error('unexpected');
    second.value.newMemberSignature = create(SignatureSchema, { signature: { case: 'passkey', value: {} } });
    first.value.newMemberSignature = create(SignatureSchema, { signature: { case: 'erc191', value: { bytes: new Uint8Array(3) } } });
    expect((await errorOf(() => verifyUpdateSignatures(update))).code).toBe(IdentityErrorCodes.invalidSignature);
  });

  test('error: a missing signature is malformed, before any verifier runs', async () => {
    const wallet = newWallet();
    const update = await buildRegistration(wallet, newInstallation());
    const add = update.actions[1]!.kind;
    if (add.case !== 'add') throw new Error('unexpected');
    add.value.existingMemberSignature = undefined;
    const error = await errorOf(() => verifyUpdateSignatures(update));
    expect(error.code).toBe(IdentityErrorCodes.malformedUpdate);
    expect(error.message).toContain('action 1 is missing its existing member signature');
  });
});
