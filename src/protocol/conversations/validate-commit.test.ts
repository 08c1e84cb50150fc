// libxmtp's incoming-commit validation (xmtp-wire.md §5.4) between OUR clients on an in-process
// node. Hostile commits are made for real: a member builds a commit with ts-mls on its own stored
// state, with crafted proposals, and publishes it without merging it. Every other member's sync must
// skip it (`conversations.invalid_commit`, the rule in the message), keep its state byte for byte,
// store no transcript message, and still process the next legitimate commit.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createCommit,
  createProposal,
  defaultProposalTypes,
  encode,
  makeCustomExtension,
  nodeTypes,
  mlsMessageEncoder,
  processMessage,
  pskTypes,
  type ClientState,
  type GroupContextExtension,
  type Proposal,
} from 'ts-mls';
import { startNode, type RunningNode } from '../../../server/node.js';
import { MlsCredentialSchema } from '../../gen/identity/credential_pb.js';
import { ConversationType } from '../../gen/mls/message_contents/group_metadata_pb.js';
import { GroupMutableMetadataV1Schema } from '../../gen/mls/message_contents/group_mutable_metadata_pb.js';
import {
  GroupMutablePermissionsV1Schema,
  MembershipPolicy_BasePolicy,
  MembershipPolicySchema,
  PermissionsUpdatePolicy_PermissionsBasePolicy,
  PermissionsUpdatePolicySchema,
} from '../../gen/mls/message_contents/group_permissions_pb.js';
import { createClient, type XmtpClient } from '../client.js';
import { createXmtpApi } from '../delivery/create-xmtp-api.js';
import { buildUpdate, newWallet, type TestWallet } from '../test-support/identity-builder.js';
import { createXmtpKeyPackage } from '../mls/create-key-package.js';
import { immutableMetadataExtension, XmtpExtensionTypes } from '../mls/xmtp-extensions.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { addProposals, gceProposal, resolveInstallations } from './commit-pieces.js';
import { loadGroup } from './conversation-store.js';
import { createConversation } from './create-conversation.js';
import { createGroup } from './create-group.js';
import {
  dmGroupExtensions,
  encodeDefaultGroupPermissions,
  encodeDmPermissions,
  readGroupMembership,
  readMutableMetadataValue,
  withExtension,
  withGroupMembership,
  withMutableMetadata,
  type MutableMetadataValue,
} from './group-extensions.js';
import { listMessages } from './list-messages.js';
import { senderHmac } from './sender-hmac.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes } from './sync-welcomes.js';
import { addMembers, commitToGroup, removeMembers, updateGroupMetadata, updateGroupName } from './update-group.js';
import { CommitRules, decodePolicySet, evaluatePolicy, metadataFieldPolicy, validateIncomingCommit, type CommitRule, type IncomingCommit } from './validate-commit.js';
import { groupLeaves } from './validate-welcome-membership.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
});

const newClient = (identity: TestWallet = newWallet()) => createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity });
const GU = 'xmtp.org/group_updated:1.0';

// --- building commits ------------------------------------------------------------------------

const gce = (extensions: GroupContextExtension[]): Proposal => gceProposal(extensions);
const extensionsOf = (state: ClientState) => state.groupContext.extensions;
const membersOf = (state: ClientState) => new Map(Object.entries(readGroupMembership(extensionsOf(state)).members));
const metadataOf = (state: ClientState) => readMutableMetadataValue(extensionsOf(state));

/** 0xFF01 replaced by `edit(members)` (failed installations kept unless given). */
function withMembers(state: ClientState, edit: (members: Map<string, bigint>) => void, failed?: Uint8Array[]): GroupContextExtension[] {
  const members = membersOf(state);
  edit(members);
  return withGroupMembership(extensionsOf(state), members, failed ?? readGroupMembership(extensionsOf(state)).failedInstallations);
}

/** 0xFF00 replaced without our writer's checks (a hostile member's encoder). */
function withRawMetadata(state: ClientState, edit: (value: MutableMetadataValue) => MutableMetadataValue): GroupContextExtension[] {
  const value = edit(metadataOf(state));
  const bytes = toBinary(
    GroupMutableMetadataV1Schema,
    create(GroupMutableMetadataV1Schema, { attributes: { ...value.attributes }, adminList: { inboxIds: [...value.adminInboxIds] }, superAdminList: { inboxIds: [...value.superAdminInboxIds] } }),
  );
  return withExtension(extensionsOf(state), makeCustomExtension({ extensionType: XmtpExtensionTypes.mutableMetadata, extensionData: bytes }));
}

const withPermissions = (state: ClientState, bytes: Uint8Array) =>
  withExtension(extensionsOf(state), makeCustomExtension({ extensionType: XmtpExtensionTypes.groupPermissions, extensionData: bytes }));

function removeLeavesOf(state: ClientState, inboxId: string): Proposal[] {
  return groupLeaves(state)
    .filter((l) => l.inboxId === inboxId)
    .map((l): Proposal => ({ proposalType: defaultProposalTypes.remove, remove: { removed: l.leafIndex } }));
}

/** Every installation of `inboxId` not in the group yet, with verified key packages. */
async function installationsToAdd(client: XmtpClient, state: ClientState, inboxId: string) {
  const inTree = new Set(groupLeaves(state).map((l) => bytesToHex(l.installationKey)));
  return resolveInstallations(client, [inboxId], { exclude: inTree });
}

/**
 * A member builds a commit on its stored (synced) state and publishes it WITHOUT merging it; its own
 * next sync then skips it (it is not ours to merge), so every member ends up past it.
 */
async function publishUnmerged(
  client: XmtpClient,
  groupId: Uint8Array,
  build: (state: ClientState) => Proposal[] | Promise<Proposal[]>,
  options: { readonly wireAsPublicMessage?: boolean; readonly context?: XmtpClient['mls']; readonly editState?: (state: ClientState) => ClientState } = {},
): Promise<void> {
  await syncGroup(client, { groupId });
  const loaded = (await loadGroup(client.store, groupId)).state;
  const state = options.editState ? options.editState(loaded) : loaded;
  const { commit } = await createCommit({
    context: options.context ?? client.mls,
    state,
    extraProposals: await build(state),
    ratchetTreeExtension: true,
    wireAsPublicMessage: options.wireAsPublicMessage ?? false,
  });
  await publishRaw(client, groupId, encode(mlsMessageEncoder, commit));
  expect((await syncGroup(client, { groupId })).skipped).toHaveLength(1);
}

async function publishRaw(client: XmtpClient, groupId: Uint8Array, data: Uint8Array): Promise<void> {
  const nowNs = client.clock.nowNs();
  await client.api.mls.sendGroupMessages({
    messages: [{ version: { case: 'v1', value: { data, senderHmac: senderHmac({ hmacRootKey: client.hmacRootKey, groupId, data, nowNs }), shouldPush: false } } }],
  });
}

/** A legitimate commit, made and merged the way our own commits are. */
function commitLegit(client: XmtpClient, groupId: Uint8Array, build: (state: ClientState) => Proposal[] | Promise<Proposal[]>) {
  return commitToGroup(client, groupId, async (state) => ({ proposals: await build(state), recipients: [] }));
}

// --- checking ---------------------------------------------------------------------------------

/** Each observer's sync skips exactly one commit for `rule`, keeping its state and transcript as they were. */
async function expectRefused(observers: readonly XmtpClient[], groupId: Uint8Array, rule: CommitRule): Promise<void> {
  for (const c of observers) {
    const before = await loadGroup(c.store, groupId);
    const messages = (await listMessages(c, { groupId })).length;
    const result = await syncGroup(c, { groupId });
    expect(result.skipped).toHaveLength(1);
    expect(result.skipped[0]!.error.code).toBe('conversations.invalid_commit');
    expect(result.skipped[0]!.error.message).toContain(`(${rule})`);
    expect(result.commits).toBe(0);
    const after = await loadGroup(c.store, groupId);
    expect(after.record.cursor).toBeGreaterThan(before.record.cursor);
    expect(after.record.state).toEqual(before.record.state);
    expect(after.state.groupContext.epoch).toBe(before.state.groupContext.epoch);
    expect((await listMessages(c, { groupId })).length).toBe(messages);
  }
}

let renames = 0;
/** The group goes on: `committer` renames it and every observer (already past the refused commits) processes that commit. */
async function expectLive(committer: XmtpClient, observers: readonly XmtpClient[], groupId: Uint8Array): Promise<void> {
  for (const c of observers) await syncGroup(c, { groupId }); // past whatever each has not seen yet
  const name = `still alive ${++renames}`;
  const { epoch } = await updateGroupName(committer, { groupId, name });
  for (const c of observers) {
    const result = await syncGroup(c, { groupId });
    expect(result.skipped).toEqual([]);
    expect(result.commits).toBe(1);
    const { state } = await loadGroup(c.store, groupId);
    expect(state.groupContext.epoch).toBe(epoch);
    expect(metadataOf(state).attributes.group_name).toBe(name);
  }
}

async function expectApplied(observers: readonly XmtpClient[], groupId: Uint8Array): Promise<ClientState[]> {
  const states: ClientState[] = [];
  for (const c of observers) {
    const result = await syncGroup(c, { groupId });
    expect(result.skipped).toEqual([]);
    states.push((await loadGroup(c.store, groupId)).state);
  }
  return states;
}

// ---------------------------------------------------------------------------------------------

describe('validateIncomingCommit: a group with libxmtp\'s default policies', () => {
  // alice: creator, super admin; bob: admin; carol, mallory: members; eve, frank: outsiders.
  let alice: XmtpClient, bob: XmtpClient, carol: XmtpClient, mallory: XmtpClient, eve: XmtpClient, frank: XmtpClient;
  let groupId: Uint8Array;
  beforeAll(async () => {
    [alice, bob, carol, mallory, eve, frank] = await Promise.all([newClient(), newClient(), newClient(), newClient(), newClient(), newClient()]);
    groupId = (await createGroup(alice, { name: 'g', memberInboxIds: [bob.inboxId, carol.inboxId, mallory.inboxId] })).groupId;
    for (const c of [bob, carol, mallory]) await syncWelcomes(c);
    // a legitimate admin-list change by the super admin
    await commitLegit(alice, groupId, (s) => [gce(withMutableMetadata(extensionsOf(s), { ...metadataOf(s), adminInboxIds: [bob.inboxId] }))]);
    for (const s of await expectApplied([bob, carol, mallory], groupId)) expect(metadataOf(s).adminInboxIds).toEqual([bob.inboxId]);
  }, 120_000);

  test('default: legitimate commits apply: an empty key-update commit, a rename by a member, an admin\'s add and remove', async () => {
    await commitLegit(mallory, groupId, () => []); // libxmtp's KeyUpdate: an empty commit with a path
    await updateGroupName(carol, { groupId, name: 'renamed by carol' });
    await addMembers(bob, { groupId, inboxIds: [frank.inboxId] });
    await removeMembers(bob, { groupId, inboxIds: [frank.inboxId] });
    for (const s of await expectApplied([alice, carol, mallory], groupId)) {
      expect(metadataOf(s).attributes.group_name).toBe('renamed by carol');
      expect([...membersOf(s).keys()].sort()).toEqual([alice.inboxId, bob.inboxId, carol.inboxId, mallory.inboxId].sort());
    }
    const carolUpdates = (await listMessages(carol, { groupId })).filter((m) => m.contentType === GU).map((m) => m.senderInboxId);
    expect(carolUpdates.slice(-3)).toEqual([carol.inboxId, bob.inboxId, bob.inboxId]); // the key update leaves no transcript
  });

  test('error: sequence_id_decreased — a member lowers an inbox\'s sequence id in 0xFF01', async () => {
    await publishUnmerged(mallory, groupId, (s) => [gce(withMembers(s, (m) => m.set(carol.inboxId, m.get(carol.inboxId)! - 1n)))]);
    await expectRefused([alice, carol], groupId, CommitRules.sequenceIdDecreased);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: unknown_sequence_id — an inbox raised to a sequence id that is not in its identity log', async () => {
    await publishUnmerged(mallory, groupId, (s) => [gce(withMembers(s, (m) => m.set(carol.inboxId, m.get(carol.inboxId)! + 1000n)))]);
    await expectRefused([alice, carol], groupId, CommitRules.unknownSequenceId);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: identity_lookup_failed — 0xFF01 adds an inbox that has no identity log', async () => {
    await publishUnmerged(mallory, groupId, (s) => [gce(withMembers(s, (m) => m.set('ab'.repeat(32), 1n)))]);
    await expectRefused([alice, carol], groupId, CommitRules.identityLookupFailed);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: unexpected_installation_added — an Add for an installation outside the identity diff', async () => {
    await publishUnmerged(mallory, groupId, async (s) => addProposals((await installationsToAdd(mallory, s, eve.inboxId)).recipients));
    await expectRefused([alice, carol], groupId, CommitRules.unexpectedInstallationAdded);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: installation_inbox_mismatch — an added leaf whose credential names another inbox than the installation\'s', async () => {
    // eve's installation key in a key package whose credential names mallory's inbox
    const forged = await createXmtpKeyPackage({ inboxId: mallory.inboxId, installationSecretKey: eve.installation.secretKey, now: Math.floor(Date.now() / 1000), cipherSuite: mallory.mls.cipherSuite });
    await publishUnmerged(mallory, groupId, async (s) => {
      const { logs } = await installationsToAdd(mallory, s, eve.inboxId);
      return [
        { proposalType: defaultProposalTypes.add, add: { keyPackage: forged.decoded } },
        gce(withMembers(s, (m) => m.set(eve.inboxId, logs.get(eve.inboxId)!.latestSequenceId))),
      ];
    });
    await expectRefused([alice, carol], groupId, CommitRules.installationInboxMismatch);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: unexpected_installations_removed — a member\'s installation removed while its inbox stays', async () => {
    await publishUnmerged(mallory, groupId, (s) => removeLeavesOf(s, carol.inboxId));
    await expectRefused([alice, carol], groupId, CommitRules.unexpectedInstallationsRemoved);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: leaf_changed — the committer\'s UpdatePath leaf names another inbox (an identity swap)', async () => {
    // mallory's own leaf, in her copy of the tree, now claims carol's inbox: ts-mls signs a path leaf with it
    const claimCarol = (s: ClientState): ClientState => {
      const tree = s.ratchetTree.slice();
      const at = s.privatePath.leafIndex * 2;
      const node = tree[at];
      if (node?.nodeType !== nodeTypes.leaf) throw new Error('no own leaf');
      const identity = toBinary(MlsCredentialSchema, create(MlsCredentialSchema, { inboxId: carol.inboxId }));
      tree[at] = { ...node, leaf: { ...node.leaf, credential: { credentialType: 1, identity } } };
      return { ...s, ratchetTree: tree };
    };
    await publishUnmerged(mallory, groupId, () => [], { editState: claimCarol });
    await expectRefused([alice, carol], groupId, CommitRules.leafChanged);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: psk_proposal — a commit carrying a PSK proposal, even one every member can resolve', async () => {
    // An external PSK all three know, so that ts-mls processes the commit (ts-mls resolves external
    // PSKs only for PublicMessages) and only our validation refuses it.
    const pskId = crypto.getRandomValues(new Uint8Array(16));
    const externalPsks = { [Buffer.from(pskId).toString('base64')]: crypto.getRandomValues(new Uint8Array(32)) };
    const withPsk = (c: XmtpClient): XmtpClient => ({ ...c, mls: { ...c.mls, externalPsks } });
    await publishUnmerged(
      mallory,
      groupId,
      () => [{ proposalType: defaultProposalTypes.psk, psk: { preSharedKeyId: { psktype: pskTypes.external, pskId, pskNonce: crypto.getRandomValues(new Uint8Array(32)) } } }],
      { wireAsPublicMessage: true, context: withPsk(mallory).mls },
    );
    await expectRefused([withPsk(alice), withPsk(carol)], groupId, CommitRules.pskProposal);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: unsupported_proposal — a commit carrying a custom proposal type', async () => {
    await publishUnmerged(mallory, groupId, () => [{ proposalType: 0xf0f0, proposalData: new Uint8Array([1, 2, 3]) }]);
    await expectRefused([alice, carol], groupId, CommitRules.unsupportedProposal);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: immutable_metadata_changed — a GCE rewriting 0xF000 (the creator)', async () => {
    await publishUnmerged(mallory, groupId, (s) => [
      gce(withExtension(extensionsOf(s), immutableMetadataExtension({ conversationType: ConversationType.GROUP, creatorInboxId: mallory.inboxId }))),
    ]);
    await expectRefused([alice, carol], groupId, CommitRules.immutableMetadataChanged);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: missing_extension / invalid_extension — a GCE dropping 0xFF02, or with a 0xFF02 libxmtp cannot decode', async () => {
    await publishUnmerged(mallory, groupId, (s) => [gce(extensionsOf(s).filter((e) => e.extensionType !== XmtpExtensionTypes.groupPermissions))]);
    await expectRefused([alice, carol], groupId, CommitRules.missingExtension);
    const noRemovePolicy = toBinary(
      GroupMutablePermissionsV1Schema,
      create(GroupMutablePermissionsV1Schema, {
        policies: {
          addMemberPolicy: { kind: { case: 'base', value: MembershipPolicy_BasePolicy.ALLOW } },
          addAdminPolicy: { kind: { case: 'base', value: PermissionsUpdatePolicy_PermissionsBasePolicy.DENY } },
          removeAdminPolicy: { kind: { case: 'base', value: PermissionsUpdatePolicy_PermissionsBasePolicy.DENY } },
          updatePermissionsPolicy: { kind: { case: 'base', value: PermissionsUpdatePolicy_PermissionsBasePolicy.DENY } },
        },
      }),
    );
    await publishUnmerged(mallory, groupId, (s) => [gce(withPermissions(s, noRemovePolicy))]);
    await expectRefused([alice, carol], groupId, CommitRules.invalidExtension);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: unsupported_extension — a GCE introducing an extension no member supports', async () => {
    await publishUnmerged(mallory, groupId, (s) => [gce([...extensionsOf(s), makeCustomExtension({ extensionType: 0xff77, extensionData: new Uint8Array([1]) }) as GroupContextExtension])]);
    await expectRefused([alice, carol], groupId, CommitRules.unsupportedExtension);
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: metadata_too_long — a 101-byte group name, and a 60-character name of 120 UTF-8 bytes (libxmtp counts bytes)', async () => {
    for (const name of ['x'.repeat(101), 'é'.repeat(60)]) {
      await publishUnmerged(mallory, groupId, (s) => [gce(withRawMetadata(s, (v) => ({ ...v, attributes: { ...v.attributes, group_name: name } })))]);
      await expectRefused([alice, carol], groupId, CommitRules.metadataTooLong);
    }
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: not_permitted — a member who is not an admin removes a member (remove is admin-only); the victim stays in', async () => {
    await publishUnmerged(mallory, groupId, (s) => [...removeLeavesOf(s, carol.inboxId), gce(withMembers(s, (m) => m.delete(carol.inboxId)))]);
    // carol validates the commit that removes her too (ts-mls stops early for a removed member)
    await expectRefused([alice, carol], groupId, CommitRules.notPermitted);
    expect((await loadGroup(carol.store, groupId)).state.groupActiveState.kind).toBe('active');
    await expectLive(alice, [carol, mallory], groupId);
  });

  test('error: not_permitted — an admin removes the super admin (a super admin can never be removed)', async () => {
    await publishUnmerged(bob, groupId, (s) => [...removeLeavesOf(s, alice.inboxId), gce(withMembers(s, (m) => m.delete(alice.inboxId)))]);
    await expectRefused([alice, carol], groupId, CommitRules.notPermitted);
    const { error } = (await syncGroup(mallory, { groupId })).skipped[0]!;
    expect(error.message).toContain('super admin');
    await expectLive(alice, [carol, mallory, bob], groupId);
  });

  test('error: not_permitted — an admin who is not super admin changes the permissions (0xFF02)', async () => {
    await publishUnmerged(bob, groupId, (s) => [gce(withPermissions(s, encodeDmPermissions()))]);
    await expectRefused([alice, carol], groupId, CommitRules.notPermitted);
    await expectLive(alice, [carol, mallory, bob], groupId);
  });

  test('error: not_permitted — metadata policies: a member sets an admin-only field; an admin sets a `_` field (super admin only)', async () => {
    await publishUnmerged(mallory, groupId, (s) => [gce(withRawMetadata(s, (v) => ({ ...v, attributes: { ...v.attributes, message_disappear_in_ns: '1000' } })))]);
    await expectRefused([alice, carol], groupId, CommitRules.notPermitted);
    await publishUnmerged(bob, groupId, (s) => [gce(withRawMetadata(s, (v) => ({ ...v, attributes: { ...v.attributes, _commit_log_signer: 'ab'.repeat(32) } })))]);
    await expectRefused([alice, carol], groupId, CommitRules.notPermitted);
    await expectLive(alice, [carol, mallory, bob], groupId);
  });

  test('error: not_permitted — admin lists: an admin adds an admin or makes himself super admin; the last super admin steps down', async () => {
    await publishUnmerged(bob, groupId, (s) => [gce(withRawMetadata(s, (v) => ({ ...v, adminInboxIds: [...v.adminInboxIds, mallory.inboxId] })))]);
    await expectRefused([alice, carol], groupId, CommitRules.notPermitted);
    await publishUnmerged(bob, groupId, (s) => [gce(withRawMetadata(s, (v) => ({ ...v, superAdminInboxIds: [...v.superAdminInboxIds, bob.inboxId] })))]);
    await expectRefused([alice, carol], groupId, CommitRules.notPermitted);
    await publishUnmerged(alice, groupId, (s) => [gce(withRawMetadata(s, (v) => ({ ...v, superAdminInboxIds: [] })))]);
    await expectRefused([bob, carol], groupId, CommitRules.notPermitted);
    await expectLive(alice, [carol, mallory, bob], groupId);
  });

  test('error: min_version_lowered — the super admin may raise minimum_supported_protocol_version, never lower or remove it', async () => {
    await updateGroupMetadata(alice, { groupId, attributes: { minimum_supported_protocol_version: '0.2.0' } });
    await expectApplied([bob, carol], groupId);
    for (const edit of [
      (a: Record<string, string>) => ({ ...a, minimum_supported_protocol_version: '0.1.9' }),
      (a: Record<string, string>) => ({ ...a, minimum_supported_protocol_version: 'latest' }),
      (a: Record<string, string>) => ({ ...a, minimum_supported_protocol_version: '0.3.0-rc.1' }), // libxmtp 1.10 cannot parse it
      ({ minimum_supported_protocol_version: _, ...a }: Record<string, string>) => a,
    ]) {
      await publishUnmerged(alice, groupId, (s) => [gce(withRawMetadata(s, (v) => ({ ...v, attributes: edit({ ...v.attributes }) })))]);
      await expectRefused([bob, carol], groupId, CommitRules.minVersionLowered);
    }
    await updateGroupMetadata(alice, { groupId, attributes: { minimum_supported_protocol_version: '0.2.1-rc1' } });
    for (const s of await expectApplied([bob, carol], groupId)) expect(metadataOf(s).attributes.minimum_supported_protocol_version).toBe('0.2.1-rc1');
    await expectLive(alice, [carol, mallory, bob], groupId);
  });

  test('error: not_permitted — once the super admin makes adding admin-only (an `any` policy), a member cannot add; an admin can', async () => {
    const adminsOnlyAdd = toBinary(
      GroupMutablePermissionsV1Schema,
      create(GroupMutablePermissionsV1Schema, {
        policies: {
          ...decodeDefaultPolicies(),
          addMemberPolicy: create(MembershipPolicySchema, {
            kind: {
              case: 'anyCondition',
              value: {
                policies: [
                  { kind: { case: 'base', value: MembershipPolicy_BasePolicy.ALLOW_IF_SUPER_ADMIN } },
                  { kind: { case: 'base', value: MembershipPolicy_BasePolicy.ALLOW_IF_ADMIN_OR_SUPER_ADMIN } },
                ],
              },
            },
          }),
        },
      }),
    );
    await commitLegit(alice, groupId, (s) => [gce(withPermissions(s, adminsOnlyAdd))]); // a super admin may change 0xFF02
    await expectApplied([bob, carol], groupId);
    await publishUnmerged(mallory, groupId, async (s) => {
      const { logs, recipients } = await installationsToAdd(mallory, s, eve.inboxId);
      return [...addProposals(recipients), gce(withMembers(s, (m) => m.set(eve.inboxId, logs.get(eve.inboxId)!.latestSequenceId)))];
    });
    await expectRefused([alice, carol], groupId, CommitRules.notPermitted);
    await addMembers(bob, { groupId, inboxIds: [eve.inboxId] });
    for (const s of await expectApplied([alice, carol], groupId)) expect(membersOf(s).has(eve.inboxId)).toBe(true);
    expect((await syncWelcomes(eve)).joined).toHaveLength(1);
    await expectLive(alice, [carol, eve], groupId);
  });
});

const fromBinaryPermissions = (b: Uint8Array) => fromBinary(GroupMutablePermissionsV1Schema, b);
/** libxmtp's default policy set as a protobuf message, to edit one policy. */
const decodeDefaultPolicies = () => fromBinaryPermissions(encodeDefaultGroupPermissions()).policies!;

describe('validateIncomingCommit: identity changes', () => {
  test('default: installation-sync commits that only raise a sequence id apply — a new installation added, or left out; a revoked one removed', async () => {
    const bobWallet = newWallet();
    const [alice, bob, carol] = await Promise.all([newClient(), newClient(bobWallet), newClient()]);
    const { groupId } = await createGroup(alice, { memberInboxIds: [bob.inboxId, carol.inboxId] });
    for (const c of [bob, carol]) await syncWelcomes(c);

    // bob adds a second installation; alice adds it (and raises bob's sequence id), as libxmtp's sync does
    const bob2 = await newClient(bobWallet);
    await commitToGroup(alice, groupId, async (s) => {
      const { logs, recipients } = await installationsToAdd(alice, s, bob.inboxId);
      expect(recipients.map((r) => bytesToHex(r.installationKey))).toEqual([bytesToHex(bob2.installation.publicKey)]);
      return { proposals: [...addProposals(recipients), gce(withMembers(s, (m) => m.set(bob.inboxId, logs.get(bob.inboxId)!.latestSequenceId)))], recipients };
    });
    for (const s of await expectApplied([bob, carol], groupId)) expect(groupLeaves(s)).toHaveLength(4);
    expect((await syncWelcomes(bob2)).joined).toHaveLength(1);

    // a third installation: the raise may leave it out (a new installation may be missing from the Adds)
    await newClient(bobWallet); // bob3
    await commitLegit(alice, groupId, async (s) => {
      const { logs } = await installationsToAdd(alice, s, bob.inboxId);
      return [gce(withMembers(s, (m) => m.set(bob.inboxId, logs.get(bob.inboxId)!.latestSequenceId)))];
    });
    await expectApplied([bob, bob2, carol], groupId);

    // bob revokes bob2: the commit raising bob's sequence id must remove it
    await bob.api.identity.publishIdentityUpdate({
      identityUpdate: await buildUpdate({ inboxId: bob.inboxId, actions: [{ kind: 'revoke', recovery: bobWallet, member: { kind: 'installation', key: bob2.installation.publicKey } }] }),
    });
    const latest = async (s: ClientState) => (await installationsToAdd(alice, s, bob.inboxId)).logs.get(bob.inboxId)!.latestSequenceId;
    // without the Remove it is refused …
    await publishUnmerged(alice, groupId, async (s) => [gce(withRawSeq(s, bob.inboxId, await latest(s)))]);
    await expectRefused([bob, carol], groupId, CommitRules.unexpectedInstallationsRemoved);
    // … with it, it applies
    await commitLegit(alice, groupId, async (s) => [
      ...groupLeaves(s).filter((l) => bytesToHex(l.installationKey) === bytesToHex(bob2.installation.publicKey)).map((l): Proposal => ({ proposalType: defaultProposalTypes.remove, remove: { removed: l.leafIndex } })),
      gce(withRawSeq(s, bob.inboxId, await latest(s))),
    ]);
    for (const s of await expectApplied([bob, carol], groupId)) {
      expect(groupLeaves(s).map((l) => bytesToHex(l.installationKey))).not.toContain(bytesToHex(bob2.installation.publicKey));
    }
  });

  test('error: installation_not_in_inbox — a revoked installation commits, listing itself as failed to dodge the removal', async () => {
    const malloryWallet = newWallet();
    const [alice, carol, mallory] = await Promise.all([newClient(), newClient(), newClient(malloryWallet)]);
    const { groupId } = await createGroup(alice, { memberInboxIds: [carol.inboxId, mallory.inboxId] });
    for (const c of [carol, mallory]) await syncWelcomes(c);
    await mallory.api.identity.publishIdentityUpdate({
      identityUpdate: await buildUpdate({ inboxId: mallory.inboxId, actions: [{ kind: 'revoke', recovery: malloryWallet, member: { kind: 'installation', key: mallory.installation.publicKey } }] }),
    });
    await publishUnmerged(mallory, groupId, async (s) => {
      const { logs } = await resolveInstallations(mallory, [mallory.inboxId]);
      const failed = [...readGroupMembership(extensionsOf(s)).failedInstallations, mallory.installation.publicKey];
      return [gce(withMembers(s, (m) => m.set(mallory.inboxId, logs.get(mallory.inboxId)!.latestSequenceId), failed))];
    });
    await expectRefused([alice, carol], groupId, CommitRules.installationNotInInbox);
    await expectLive(alice, [carol], groupId);
  });
});

/** 0xFF01 with one inbox's sequence id set (failed installations kept). */
function withRawSeq(state: ClientState, inboxId: string, sequenceId: bigint): GroupContextExtension[] {
  return withMembers(state, (m) => m.set(inboxId, sequenceId));
}

describe('validateIncomingCommit: DMs', () => {
  test('behavior: adding the DM\'s other member is allowed though the DM policy denies adds; adding a third inbox is not', async () => {
    const aliceWallet = newWallet();
    const [alice, bob, carol] = await Promise.all([newClient(aliceWallet), newClient(), newClient()]);
    const alice2 = await newClient(aliceWallet); // alice's second installation
    // alice's DM with bob whose first commit adds only alice's other installation
    const dm = await createConversation(alice, { kind: 'dm', extensions: dmGroupExtensions({ creatorInboxId: alice.inboxId, peerInboxId: bob.inboxId }), memberInboxIds: [], dmPeerInboxId: bob.inboxId });
    expect(dm.addedInstallations).toEqual([bytesToHex(alice2.installation.publicKey)]);
    expect((await syncWelcomes(alice2)).joined).toEqual([dm.id]);
    // then bob is added: alice2 validates it (add is DENY in a DM, but bob is the DM's other member)
    await commitToGroup(alice, dm.groupId, async (s) => {
      const { logs, recipients } = await installationsToAdd(alice, s, bob.inboxId);
      return { proposals: [...addProposals(recipients), gce(withMembers(s, (m) => m.set(bob.inboxId, logs.get(bob.inboxId)!.latestSequenceId)))], recipients };
    });
    const [s] = await expectApplied([alice2], dm.groupId);
    expect([...membersOf(s!).keys()].sort()).toEqual([alice.inboxId, bob.inboxId].sort());
    expect((await syncWelcomes(bob)).joined).toEqual([dm.id]);
    // a third inbox is refused
    await publishUnmerged(alice, dm.groupId, async (st) => {
      const { logs, recipients } = await installationsToAdd(alice, st, carol.inboxId);
      return [...addProposals(recipients), gce(withMembers(st, (m) => m.set(carol.inboxId, logs.get(carol.inboxId)!.latestSequenceId)))];
    });
    await expectRefused([alice2, bob], dm.groupId, CommitRules.notPermitted);
    // and the DM goes on
    await commitLegit(bob, dm.groupId, () => []);
    await expectApplied([alice, alice2], dm.groupId);
  });
});

describe('validateIncomingCommit: actors', () => {
  test('error: actor_not_member / multiple_actors — checked on the proposals ts-mls reports (real states)', async () => {
    const [alice, bob, carol] = await Promise.all([newClient(), newClient(), newClient()]);
    const { groupId } = await createGroup(alice, { memberInboxIds: [bob.inboxId, carol.inboxId] });
    for (const c of [bob, carol]) await syncWelcomes(c);
    const { state: aliceState } = await loadGroup(alice.store, groupId);
    const { state: before } = await loadGroup(bob.store, groupId);
    const { commit } = await createCommit({ context: alice.mls, state: aliceState, extraProposals: [gce(withRawMetadata(aliceState, (v) => ({ ...v, attributes: { ...v.attributes, group_name: 'x' } })))] });
    let captured: IncomingCommit | undefined;
    const processed = await processMessage({
      context: bob.mls,
      state: before,
      message: commit,
      callback: (incoming) => {
        if (incoming.kind === 'commit') captured = { committerLeafIndex: incoming.senderLeafIndex, proposals: incoming.proposals };
        return 'accept';
      },
    });
    const after = processed.newState;
    const identity = bob.api.identity;
    expect(await validateIncomingCommit(identity, { before, after, commit: captured! })).toMatchObject({ actorInboxId: alice.inboxId, addedInboxIds: [], removedInboxIds: [] });
    const carolLeaf = groupLeaves(before).find((l) => l.inboxId === carol.inboxId)!.leafIndex;
    await expect(validateIncomingCommit(identity, { before, after, commit: { ...captured!, committerLeafIndex: undefined } })).rejects.toThrow(`(${CommitRules.actorNotMember})`);
    await expect(
      validateIncomingCommit(identity, { before, after, commit: { ...captured!, proposals: captured!.proposals.map((p) => ({ ...p, senderLeafIndex: undefined })) } }),
    ).rejects.toThrow(`(${CommitRules.actorNotMember})`);
    await expect(
      validateIncomingCommit(identity, { before, after, commit: { ...captured!, proposals: captured!.proposals.map((p) => ({ ...p, senderLeafIndex: carolLeaf })) } }),
    ).rejects.toMatchObject({ code: 'conversations.invalid_commit', message: expect.stringContaining(`(${CommitRules.multipleActors})`) });
  });

  test('behavior: a standalone proposal is refused, so another member cannot get it into a commit (by reference) or into ours', async () => {
    const [alice, bob, carol, mallory] = await Promise.all([newClient(), newClient(), newClient(), newClient()]);
    const { groupId } = await createGroup(alice, { memberInboxIds: [bob.inboxId, carol.inboxId, mallory.inboxId] });
    for (const c of [bob, carol, mallory]) await syncWelcomes(c);
    // bob proposes removing carol (a standalone Remove proposal)
    const { state: bobState } = await loadGroup(bob.store, groupId);
    const carolLeaf = groupLeaves(bobState).find((l) => l.inboxId === carol.inboxId)!.leafIndex;
    const proposal = await createProposal({ context: bob.mls, state: bobState, proposal: { proposalType: defaultProposalTypes.remove, remove: { removed: carolLeaf } } });
    await publishRaw(bob, groupId, encode(mlsMessageEncoder, proposal.message));
    // mallory commits it by reference (her ts-mls stores it; ours would not)
    const { state: malloryState } = await loadGroup(mallory.store, groupId);
    const stored = await processMessage({ context: mallory.mls, state: malloryState, message: proposal.message, callback: () => 'accept' });
    expect(Object.keys(stored.newState.unappliedProposals)).toHaveLength(1);
    const { commit } = await createCommit({ context: mallory.mls, state: stored.newState, extraProposals: [] });
    await publishRaw(mallory, groupId, encode(mlsMessageEncoder, commit));
    for (const c of [alice, carol]) {
      const before = await loadGroup(c.store, groupId);
      const result = await syncGroup(c, { groupId });
      expect(result.skipped).toHaveLength(1); // the proposal is refused silently, the commit referencing it skipped
      const after = await loadGroup(c.store, groupId);
      expect(after.state.unappliedProposals).toEqual({});
      expect(after.state.groupContext.epoch).toBe(before.state.groupContext.epoch);
    }
    // our next commit does not carry bob's proposal: everyone (bob too) accepts it, carol stays
    await updateGroupName(alice, { groupId, name: 'after the proposal' });
    for (const s of await expectApplied([carol], groupId)) expect(membersOf(s).has(carol.inboxId)).toBe(true);
    const bobSync = await syncGroup(bob, { groupId });
    expect(bobSync.commits).toBe(1);
  });
});

describe('policies (0xFF02)', () => {
  test('behavior: libxmtp\'s presets decode; all/any trees evaluate; a field with no policy is admin-only, `_` fields super-admin-only', () => {
    const member = { isAdmin: false, isSuperAdmin: false };
    const admin = { isAdmin: true, isSuperAdmin: false };
    const superAdmin = { isAdmin: false, isSuperAdmin: true };
    const defaults = decodePolicySet(encodeDefaultGroupPermissions());
    expect(defaults.addMember).toBe('allow');
    expect(defaults.removeMember).toBe('admin');
    expect(defaults.updatePermissions).toBe('super_admin');
    expect(metadataFieldPolicy(defaults, 'group_name')).toBe('allow');
    expect(metadataFieldPolicy(defaults, 'minimum_supported_protocol_version')).toBe('super_admin');
    expect(metadataFieldPolicy(defaults, 'unknown_field')).toBe('admin');
    expect(metadataFieldPolicy(defaults, '_secret')).toBe('super_admin');
    const dm = decodePolicySet(encodeDmPermissions());
    expect([dm.addMember, dm.removeMember, dm.addAdmin, dm.updatePermissions]).toEqual(['deny', 'deny', 'deny', 'deny']);
    expect(metadataFieldPolicy(dm, 'group_name')).toBe('allow');

    const tree = { any: ['super_admin', { all: ['admin', 'allow'] }] } as const;
    expect([member, admin, superAdmin].map((r) => evaluatePolicy(tree, r))).toEqual([false, true, true]);
    expect([member, admin, superAdmin].map((r) => evaluatePolicy({ all: ['admin', 'deny'] }, r))).toEqual([false, false, false]);
  });

  test('error: what libxmtp refuses to decode: a missing policy, base value 0, an empty condition', () => {
    const base = fromBinaryPermissions(encodeDefaultGroupPermissions()).policies!;
    const encodeWith = (policies: object) => toBinary(GroupMutablePermissionsV1Schema, create(GroupMutablePermissionsV1Schema, { policies: { ...base, ...policies } }));
    expect(() => decodePolicySet(encodeWith({ removeMemberPolicy: undefined }))).toThrow('remove_member_policy');
    expect(() => decodePolicySet(encodeWith({ addMemberPolicy: create(MembershipPolicySchema, { kind: { case: 'base', value: 0 } }) }))).toThrow('base value 0');
    expect(() => decodePolicySet(encodeWith({ addMemberPolicy: create(MembershipPolicySchema, { kind: { case: 'base', value: 9 as MembershipPolicy_BasePolicy } }) }))).toThrow('base value 9');
    expect(() => decodePolicySet(encodeWith({ addAdminPolicy: create(PermissionsUpdatePolicySchema, { kind: { case: 'anyCondition', value: { policies: [] } } }) }))).toThrow('empty condition');
    expect(() => decodePolicySet(toBinary(GroupMutablePermissionsV1Schema, create(GroupMutablePermissionsV1Schema, {})))).toThrow('no policy set');
  });
});

