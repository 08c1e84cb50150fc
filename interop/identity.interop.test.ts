// Identity interop with REAL libxmtp 1.10 clients through our node:
// 1. libxmtp writes identity updates (register, link wallets, a second installation, revoke it,
//    unlink a wallet, change the recovery wallet); our node verifies each with our reducer before
//    storing it, and folding the stored log with our reducer gives exactly the state libxmtp reports.
// 2. our client registers inboxes (an EOA and a passkey) and libxmtp resolves them and sees our
//    installation.
// 3. libxmtp-written updates replayed or altered are refused by our node, with the log unchanged
//    (libxmtp itself refuses to sign out-of-policy updates; those are covered in server/identity.test.ts).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clone } from '@bufbuild/protobuf';
import { IdentifierKind, IdentityUpdateSchema } from '../src/gen/identity/associations/association_pb.js';
import { getIdentifiers, getInstallationIds, getRecoveryIdentifier } from '../src/protocol/identity/association-state.js';
import { getAssociationState } from '../src/protocol/identity/get-association-state.js';
import { toPasskeyIdentifier } from '../src/protocol/identity/identifiers.js';
import { verifyPasskeySignature } from '../src/protocol/identity/passkey.js';
import { registerInbox } from '../src/protocol/identity/register-inbox.js';
import { newInstallation, newWallet, newWebAuthnPasskey } from '../src/protocol/test-support/identity-builder.js';
import { grpcClients } from '../server/test-support/clients.js';
import { copyIdentity, createPeer, ensureLibxmtpRuntime, interopTmpDir, startNodeProcess, type NodeProcess, type Peer } from './harness.js';

interface InboxState {
  inboxId: string;
  recoveryIdentifier: { identifier: string; identifierKind: number };
  identifiers: { identifier: string; identifierKind: number }[];
  installations: { id: string }[];
}

let node: NodeProcess;
const verify = { verifyPasskey: verifyPasskeySignature };

beforeAll(async () => {
  await ensureLibxmtpRuntime();
  node = await startNodeProcess({ db: path.join(interopTmpDir(), 'identity.sqlite') });
});
afterAll(async () => {
  await node?.stop();
});

const peer = (name: string): Peer => createPeer(name, node.url);
const inboxState = async (p: Peer, inboxId: string) => (await p.run<{ states: InboxState[] }>(['inbox-state', inboxId])).states[0]!;

/** Our reducer's view of an inbox, from the log our node stored. */
async function ourState(inboxId: string) {
  const { responses } = await grpcClients(node.url).identity.getIdentityUpdates({ requests: [{ inboxId, sequenceId: 0n }] });
  const state = await getAssociationState(responses[0]!.updates.map((u) => u.update!), verify);
  return {
    recovery: getRecoveryIdentifier(state),
    identifiers: getIdentifiers(state)
      .map((i) => (i.kind === 'ethereum' ? i.address : toPasskeyIdentifier(i.key)))
      .sort(),
    installations: getInstallationIds(state)
      .map((k) => Buffer.from(k).toString('hex'))
      .sort(),
  };
}

describe('libxmtp 1.10 identity updates through our node', () => {
  it('every update libxmtp writes is accepted by our reducer, with the same resulting state libxmtp reports', async () => {
    const alice = peer('id-alice');
    const me = await alice.init();
    const added1 = (await alice.run<{ added: string }>(['add-account'])).added;
    const added2 = (await alice.run<{ added: string }>(['add-account'])).added;
    const phone = peer('id-alice-phone');
    copyIdentity(alice, phone);
    const second = await phone.init();
    expect(second.inboxId).toBe(me.inboxId);
    await alice.revoke([second.installationId]);
    await alice.run(['remove-account', added2]);
    await alice.run(['change-recovery', added1]);

    const theirs = await inboxState(alice, me.inboxId);
    const ours = await ourState(me.inboxId);
    expect(ours.recovery).toEqual({ kind: 'ethereum', address: theirs.recoveryIdentifier.identifier });
    expect(ours.identifiers).toEqual(theirs.identifiers.map((i) => i.identifier).sort());
    expect(ours.installations).toEqual(theirs.installations.map((i) => i.id).sort());
    // and the expected content, so that agreeing on an empty state could not pass
    expect(ours.identifiers).toEqual([me.address, added1].sort());
    expect(ours.installations).toEqual([me.installationId]);
    expect(ours.recovery).toEqual({ kind: 'ethereum', address: added1 });
  });

  it('libxmtp-written updates replayed or with a corrupted signature are refused by our node, and the log is unchanged', async () => {
    const bob = peer('id-bob');
    const me = await bob.init();
    await bob.run(['add-account']);
    const identity = grpcClients(node.url).identity;
    const logOf = async () => (await identity.getIdentityUpdates({ requests: [{ inboxId: me.inboxId, sequenceId: 0n }] })).responses[0]!.updates;
    const before = await logOf();
    expect(before).toHaveLength(2);
    const linkWallet = before[1]!.update!;

    // replayed: the same (valid) update again
    await expect(identity.publishIdentityUpdate({ identityUpdate: linkWallet })).rejects.toThrow(/identity\.replayed_signature/);
    // mis-signed: the new wallet's signature corrupted
    const corrupted = clone(IdentityUpdateSchema, linkWallet);
    const add = corrupted.actions[0]!.kind;
    if (add.case !== 'add' || add.value.newMemberSignature?.signature.case !== 'erc191') throw new Error(`unexpected libxmtp update shape: ${add.case}`);
    add.value.newMemberSignature.signature.value.bytes[10]! ^= 0x55;
    // and the existing member's signature too, so that no signature of the update was seen before
    const existing = add.value.existingMemberSignature?.signature;
    if (!existing?.value || !('bytes' in existing.value)) throw new Error('unexpected existing signature');
    existing.value.bytes[10]! ^= 0x55;
    const refusal = await identity.publishIdentityUpdate({ identityUpdate: corrupted }).then(() => "accepted", (e: Error) => e.message);
    expect(refusal, refusal).toMatch(/identity\.(invalid_signature|new_member_signer_mismatch|signer_not_member|initial_signer_mismatch)/);
    expect(await logOf()).toEqual(before);
    // libxmtp still reads the inbox as before
    const theirs = await inboxState(bob, me.inboxId);
    expect(theirs.identifiers).toHaveLength(2);
  });
});

describe('inboxes our client registers, seen by libxmtp', () => {
  it('an EOA inbox: libxmtp resolves the address and sees our installation', async () => {
    const wallet = newWallet();
    const installation = newInstallation();
    const { inboxId } = await registerInbox({ api: grpcClients(node.url).identity, identity: wallet, installation, verify });
    const carol = peer('id-carol');
    await carol.init();
    expect((await carol.run<{ inboxId: string | null }>(['resolve', wallet.address])).inboxId).toBe(inboxId);
    const state = await inboxState(carol, inboxId);
    expect(state.installations.map((i) => i.id)).toEqual([Buffer.from(installation.identifier.key).toString('hex')]);
    expect(state.identifiers).toEqual([{ identifier: wallet.address, identifierKind: 0 }]);
    expect(state.recoveryIdentifier.identifier).toBe(wallet.address);
  });

  it('a passkey inbox: libxmtp resolves the passkey and sees our installation', async () => {
    const passkey = newWebAuthnPasskey();
    const installation = newInstallation();
    const { inboxId } = await registerInbox({ api: grpcClients(node.url).identity, identity: passkey, installation, verify });
    const dave = peer('id-dave');
    await dave.init();
    const hex = toPasskeyIdentifier(passkey.identifier.key);
    expect((await dave.run<{ inboxId: string | null }>(['resolve', hex, 'passkey'])).inboxId).toBe(inboxId);
    const state = await inboxState(dave, inboxId);
    expect(state.installations.map((i) => i.id)).toEqual([Buffer.from(installation.identifier.key).toString('hex')]);
    // libxmtp's bindings number identifier kinds Ethereum = 0, Passkey = 1
    expect(state.identifiers).toEqual([{ identifier: hex, identifierKind: 1 }]);
    expect(IdentifierKind.PASSKEY).toBe(2); // (on the wire it is 2; the SDK renumbers)
  });
});
