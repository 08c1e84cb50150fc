// Two of OUR clients DM each other through an in-process node (gRPC-web, as the extension speaks):
// createDm → welcome (X-Wing-wrapped) → syncWelcomes → sendText / syncGroup both ways.
import { fromBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WelcomeWrapperAlgorithm } from '../../gen/mls/message_contents/wrapper_encryption_pb.js';
import { GroupMembershipSchema } from '../../gen/mls/message_contents/group_membership_pb.js';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient, openClient, type XmtpClient } from '../client.js';
import { createXmtpApi } from '../delivery/create-xmtp-api.js';
import { XmtpExtensionTypes } from '../mls/xmtp-extensions.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { newWallet } from '../test-support/identity-builder.js';
import { loadGroup } from './conversation-store.js';
import { readGroupMembership, withGroupMembership } from './group-extensions.js';
import { validateWelcomeMembership } from './validate-welcome-membership.js';
import { createDm } from './create-dm.js';
import { listConversations } from './list-conversations.js';
import { listMessages } from './list-messages.js';
import { sendText } from './send-text.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes } from './sync-welcomes.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
});

const newClient = (store = createMemoryStore()) => createClient({ api: createXmtpApi({ node: node.url }), store, identity: newWallet() });
const texts = async (c: XmtpClient, groupId: Uint8Array) => (await listMessages(c, { groupId })).map((m) => [m.senderInboxId, m.content]);

describe('createDm / syncWelcomes / sendText / syncGroup', () => {
  test('default: two clients DM each other both ways, in order, with sender inbox ids', async () => {
    const alice = await newClient();
    const bob = await newClient();
    const dm = await createDm(alice, { peerInboxId: bob.inboxId });
    expect(dm).toMatchObject({ created: true, failedInstallations: [] });
    expect(dm.addedInstallations).toEqual([Buffer.from(bob.installation.publicKey).toString('hex')]);
    await sendText(alice, { groupId: dm.groupId, text: 'hi bob' });

    // the welcome on the node is X-Wing-wrapped to bob's 0xFF03 key
    const { messages: welcomes } = await alice.api.mls.queryWelcomeMessages({ installationKey: bob.installation.publicKey, pagingInfo: { limit: 10 } });
    expect(welcomes.map((w) => (w.version.case === 'v1' ? w.version.value.wrapperAlgorithm : undefined))).toEqual([WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6]);

    expect(await syncWelcomes(bob)).toEqual({ joined: [dm.id], skipped: [] });
    expect((await syncWelcomes(bob)).joined).toEqual([]);
    const [conversation] = await listConversations(bob);
    expect(conversation).toMatchObject({ id: dm.id, kind: 'dm', dmPeerInboxId: alice.inboxId, epoch: 1n, isActive: true });
    expect(conversation?.memberInboxIds).toEqual([alice.inboxId, bob.inboxId].sort());

    const bobSync = await syncGroup(bob, { groupId: dm.groupId });
    expect(bobSync).toMatchObject({ commits: 0, skipped: [] });
    expect(bobSync.received).toHaveLength(1);
    expect(await texts(bob, dm.groupId)).toEqual([[alice.inboxId, 'hi bob']]);

    await sendText(bob, { groupId: dm.groupId, text: 'hi alice' });
    await sendText(bob, { groupId: dm.groupId, text: 'how are you?' });
    const aliceSync = await syncGroup(alice, { groupId: dm.groupId });
    expect(aliceSync).toMatchObject({ skipped: [] });
    expect(aliceSync.received).toHaveLength(2);
    const expected = [
      [alice.inboxId, 'hi bob'],
      [bob.inboxId, 'hi alice'],
      [bob.inboxId, 'how are you?'],
    ];
    expect(await texts(alice, dm.groupId)).toEqual(expected);
    // bob's own messages came back from the node and were skipped, not duplicated
    expect(await syncGroup(bob, { groupId: dm.groupId })).toEqual({ received: [], commits: 0, skipped: [], outbox: { published: [], failed: [], pending: 0 } });
    expect(await texts(bob, dm.groupId)).toEqual(expected);
    // message ids agree on both sides
    expect((await listMessages(alice, { groupId: dm.groupId })).map((m) => m.id)).toEqual((await listMessages(bob, { groupId: dm.groupId })).map((m) => m.id));
  });

  test('behavior: 0xFF01 lists both inboxes at their real identity sequence ids', async () => {
    const alice = await newClient();
    const bob = await newClient();
    const dm = await createDm(alice, { peerInboxId: bob.inboxId });
    const { state } = await loadGroup(alice.store, dm.groupId);
    const ext = state.groupContext.extensions.find((e) => e.extensionType === XmtpExtensionTypes.groupMembership);
    const membership = fromBinary(GroupMembershipSchema, ext?.extensionData as Uint8Array);
    const { responses } = await alice.api.identity.getIdentityUpdates({ requests: [alice.inboxId, bob.inboxId].map((inboxId) => ({ inboxId, sequenceId: 0n })) });
    const latest = (inboxId: string) => responses.find((r) => r.inboxId === inboxId)?.updates.at(-1)?.sequenceId;
    expect(membership.members).toEqual({ [alice.inboxId]: latest(alice.inboxId), [bob.inboxId]: latest(bob.inboxId) });
    expect(state.groupContext.extensions.map((e) => e.extensionType)).toEqual([0xf000, 0xff00, 0xff02, 0x0003, 0xff01]);
    // a second createDm returns the same conversation
    expect(await createDm(alice, { peerInboxId: bob.inboxId })).toMatchObject({ id: dm.id, created: false });
  });

  test('behavior: messages sent while a client is offline arrive when it syncs; state survives a reopen', async () => {
    const bobStore = createMemoryStore();
    const alice = await newClient();
    const bob = await newClient(bobStore);
    const dm = await createDm(alice, { peerInboxId: bob.inboxId });
    await syncWelcomes(bob);
    for (const t of ['one', 'two', 'three']) await sendText(alice, { groupId: dm.groupId, text: t });
    const reopened = await openClient({ api: createXmtpApi({ node: node.url }), store: bobStore });
    expect((await syncGroup(reopened, { groupId: dm.groupId })).received).toHaveLength(3);
    expect((await texts(reopened, dm.groupId)).map(([, t]) => t)).toEqual(['one', 'two', 'three']);
  });

  test('behavior: welcome validation checks leaves against GroupMembership and the identity logs', async () => {
    const alice = await newClient();
    const bob = await newClient();
    const dm = await createDm(alice, { peerInboxId: bob.inboxId });
    const { state } = await loadGroup(alice.store, dm.groupId);
    await expect(validateWelcomeMembership(alice.api.identity, state)).resolves.toBeUndefined();
    const membership = readGroupMembership(state.groupContext.extensions).members;
    const variant = (members: Map<string, bigint>) => ({ ...state, groupContext: { ...state.groupContext, extensions: withGroupMembership(state.groupContext.extensions, members) } });
    const invalid = { code: 'conversations.invalid_welcome_membership' };
    // a leaf whose inbox is not a member
    await expect(validateWelcomeMembership(alice.api.identity, variant(new Map([[alice.inboxId, membership[alice.inboxId]!]])))).rejects.toMatchObject(invalid);
    // a sequence id that is not in the inbox's log
    await expect(
      validateWelcomeMembership(alice.api.identity, variant(new Map([[alice.inboxId, membership[alice.inboxId]!], [bob.inboxId, 999_999n]]))),
    ).rejects.toMatchObject(invalid);
    // a member inbox whose installation is not in the tree
    const carol = await newClient();
    const { responses } = await alice.api.identity.getIdentityUpdates({ requests: [{ inboxId: carol.inboxId, sequenceId: 0n }] });
    const carolSeq = responses[0]!.updates.at(-1)!.sequenceId;
    await expect(
      validateWelcomeMembership(alice.api.identity, variant(new Map([...Object.entries(membership), [carol.inboxId, carolSeq]]))),
    ).rejects.toMatchObject(invalid);
  });

  test('error: a DM with ourselves or a malformed inbox id is refused', async () => {
    const alice = await newClient();
    await expect(createDm(alice, { peerInboxId: alice.inboxId })).rejects.toMatchObject({ code: 'conversations.invalid_dm_peer' });
    await expect(createDm(alice, { peerInboxId: 'nope' })).rejects.toMatchObject({ code: 'conversations.invalid_dm_peer' });
  });
});
