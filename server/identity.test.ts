// Identity through the node: every published update is verified by the identity reducer before it
// is stored. Real signatures throughout: viem wallets, Ed25519ph installation keys, P-256 WebAuthn
// passkeys, and an ERC-1271 wallet on an in-process EVM.
import { clone } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IdentifierKind, IdentityUpdateSchema, type IdentityUpdate } from '../src/gen/identity/associations/association_pb.js';
import { SignatureSchema } from '../src/gen/identity/associations/signature_pb.js';
import { create } from '@bufbuild/protobuf';
import type { IdentitySigner } from '../src/protocol/identity/identity-signer.js';
import { toPasskeyIdentifier } from '../src/protocol/identity/identifiers.js';
import { createChainRpcVerifier, hashForScw } from '../src/protocol/identity/smart-contract-wallet.js';
import { buildRegistration, buildUpdate, impostor, inboxIdFor, newInstallation, newWallet, newWebAuthnPasskey } from '../src/protocol/test-support/identity-builder.js';
import { startLocalEvm, type LocalEvm } from '../src/protocol/test-support/local-evm.js';
import { deployTestWallet, signForTestWallet } from '../src/protocol/test-support/scw-wallet.js';
import { startNode, type RunningNode } from './node.js';
import { grpcClients, type NodeClients } from './test-support/clients.js';

const CHAIN_ID = 31337;
let evm: LocalEvm;
let node: RunningNode;
let api: NodeClients;

beforeAll(async () => {
  evm = await startLocalEvm({ chainId: CHAIN_ID });
  node = await startNode({ db: ':memory:', scwVerifier: createChainRpcVerifier({ chains: { [CHAIN_ID]: evm.transport } }) });
  api = grpcClients(node.url);
});
afterAll(() => node?.close());

const publish = (identityUpdate: IdentityUpdate) => api.identity.publishIdentityUpdate({ identityUpdate });
const log = async (inboxId: string) => (await api.identity.getIdentityUpdates({ requests: [{ inboxId, sequenceId: 0n }] })).responses[0]!.updates;
const lookup = async (identifier: string, identifierKind = IdentifierKind.ETHEREUM) =>
  (await api.identity.getInboxIds({ requests: [{ identifier, identifierKind }] })).responses[0]!.inboxId;

/** Publishing must fail with INVALID_ARGUMENT naming `code`, and leave the inbox's log as it was. */
async function expectRefused(update: IdentityUpdate, code: string): Promise<void> {
  const before = await log(update.inboxId);
  let error: ConnectError | undefined;
  try {
    await publish(update);
  } catch (e) {
    error = ConnectError.from(e);
  }
  expect(error, `expected ${code}`).toBeDefined();
  expect(Code[error!.code]).toBe('InvalidArgument');
  expect(error!.rawMessage).toContain(`[${code}]`);
  expect(await log(update.inboxId)).toEqual(before);
}

/** An ERC-1271 wallet owned by a fresh EOA, signing XMTP texts with its owner's key. */
async function newContractWallet(chainId = CHAIN_ID): Promise<IdentitySigner & { identifier: { kind: 'ethereum'; address: string } }> {
  const owner = privateKeyToAccount(generatePrivateKey());
  const { address } = await deployTestWallet(evm, owner.address as Hex);
  return contractSigner(address, chainId, owner);
}

/** Signs for the wallet at `address` with `key` (its owner or not). */
function contractSigner(address: Hex, chainId: number, key: ReturnType<typeof privateKeyToAccount>) {
  return {
    identifier: { kind: 'ethereum' as const, address: address.toLowerCase() },
    sign: async (text: string) =>
      create(SignatureSchema, {
        signature: {
          case: 'erc6492',
          value: { accountId: `eip155:${chainId}:${address}`, blockNumber: evm.blockNumber(), signature: await signForTestWallet(key, hashForScw(text)) },
        },
      }),
  };
}

describe('registration', () => {
  test('default: an EOA inbox with its installation is stored and resolvable by address', async () => {
    const wallet = newWallet();
    const registration = await buildRegistration(wallet, newInstallation());
    await publish(registration);
    expect(await log(registration.inboxId)).toHaveLength(1);
    expect(await lookup(wallet.address)).toBe(inboxIdFor(wallet));
  });

  test('behavior: a passkey inbox (a real P-256 WebAuthn assertion) is resolvable by its key', async () => {
    const passkey = newWebAuthnPasskey();
    const registration = await buildRegistration(passkey, newInstallation());
    await publish(registration);
    expect(await lookup(toPasskeyIdentifier(passkey.identifier.key), IdentifierKind.PASSKEY)).toBe(registration.inboxId);
  });

  test('behavior: a smart-contract wallet inbox is verified against the chain (ERC-1271)', async () => {
    const wallet = await newContractWallet();
    const registration = await buildRegistration(wallet, newInstallation());
    await publish(registration);
    expect(await lookup(wallet.identifier.address)).toBe(registration.inboxId);
  });

  test('behavior: a linked wallet is indexed, and unlinking it removes it from the index', async () => {
    const wallet = newWallet();
    const inboxId = inboxIdFor(wallet);
    await publish(await buildRegistration(wallet, newInstallation()));
    const second = newWallet();
    await publish(await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: wallet, newMember: second }] }));
    expect(await lookup(second.address)).toBe(inboxId);
    await publish(await buildUpdate({ inboxId, actions: [{ kind: 'revoke', recovery: wallet, member: second.identifier }] }));
    expect(await lookup(second.address)).toBeUndefined();
    expect(await lookup(wallet.address)).toBe(inboxId);
  });
});

describe('refused updates leave the log unchanged', () => {
  let wallet: ReturnType<typeof newWallet>;
  let inboxId: string;
  beforeAll(async () => {
    wallet = newWallet();
    inboxId = inboxIdFor(wallet);
    await publish(await buildRegistration(wallet, newInstallation()));
  });

  test('error: forged — a wallet signature made by another key', async () => {
    const forged = await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: impostor(wallet.identifier, newWallet()), newMember: newInstallation() }] });
    await expectRefused(forged, 'identity.signer_not_member');
  });

  test('error: replayed — the same update published twice', async () => {
    const update = await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: wallet, newMember: newInstallation() }] });
    await publish(update);
    await expectRefused(update, 'identity.replayed_signature');
  });

  test('error: mis-signed — a corrupted installation signature', async () => {
    const update = clone(IdentityUpdateSchema, await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: wallet, newMember: newInstallation() }] }));
    const add = update.actions[0]!.kind;
    if (add.case !== 'add' || add.value.newMemberSignature?.signature.case !== 'installationKey') throw new Error('unexpected shape');
    add.value.newMemberSignature.signature.value.bytes[0]! ^= 0xff;
    await expectRefused(update, 'identity.invalid_signature');
  });

  test('error: out of policy — an installation adding an installation', async () => {
    const installation = newInstallation();
    await publish(await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: wallet, newMember: installation }] }));
    const update = await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: installation, newMember: newInstallation() }] });
    await expectRefused(update, 'identity.member_not_allowed');
  });

  test('error: out of policy — only the recovery identifier may revoke', async () => {
    const second = newWallet();
    await publish(await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: wallet, newMember: second }] }));
    const update = await buildUpdate({ inboxId, actions: [{ kind: 'revoke', recovery: second, member: wallet.identifier }] });
    await expectRefused(update, 'identity.not_recovery_identifier');
  });

  test('error: a smart-contract wallet whose owner did not sign', async () => {
    const contract = await newContractWallet();
    const stranger = contractSigner(contract.identifier.address as Hex, CHAIN_ID, privateKeyToAccount(generatePrivateKey()));
    const registration = await buildRegistration(stranger, newInstallation());
    await expectRefused(registration, 'identity.invalid_signature');
    expect(await lookup(contract.identifier.address)).toBeUndefined();
  });
});
