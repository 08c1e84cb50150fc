// Groups between OUR clients through an in-process node: createGroup (one Add+GCE commit, welcomes),
// text / reply / reaction, addMembers, removeMembers (the removed member goes inactive),
// updateGroupName, and the synthesised GroupUpdated transcript on every side.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient, type XmtpClient } from '../client.js';
import type { GroupUpdated } from '../content/group-updated-codec.js';
import type { Reply } from '../content/reply-codec.js';
import { decodeContent } from '../content/decode-content.js';
import { encodedContentToBytes } from '../content/encoded-content.js';
import { createXmtpApi } from '../delivery/create-xmtp-api.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { newWallet } from '../test-support/identity-builder.js';
import { loadGroup } from './conversation-store.js';
import { createGroup } from './create-group.js';
import { readGroupMembership, readMutableMetadataValue } from './group-extensions.js';
import { listConversations } from './list-conversations.js';
import { listMessages } from './list-messages.js';
import { sendReaction, sendReply } from './send-reply.js';
import { sendText } from './send-text.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes } from './sync-welcomes.js';
import { addMembers, removeMembers, updateGroupMetadata, updateGroupName, UpdateGroupErrorCodes } from './update-group.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
});

const newClient = () => createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet() });
const GU = 'xmtp.org/group_updated:1.0';
const view = async (c: XmtpClient, groupId: Uint8Array) => (await listMessages(c, { groupId })).filter((m) => m.contentType !== GU).map((m) => [m.senderInboxId, m.contentType, m.content]);
const updates = async (c: XmtpClient, groupId: Uint8Array) =>
  (await listMessages(c, { groupId })).filter((m) => m.contentType === GU).map((m) => m.content as GroupUpdated);

describe('createGroup / addMembers / removeMembers / updateGroupName', () => {
  test('default: a group of three exchanges text, replies and reactions; membership and name changes reach everyone', async () => {
    const [alice, bob, carol, dave] = await Promise.all([newClient(), newClient(), newClient(), newClient()]);
    const group = await createGroup(alice, { name: 'trio', description: 'd', memberInboxIds: [bob.inboxId, carol.inboxId] });
    expect(group.addedInstallations).toHaveLength(2);
    const { state } = await loadGroup(alice.store, group.groupId);
    expect(state.groupContext.extensions.map((e) => e.extensionType)).toEqual([0xf000, 0xff00, 0xff02, 0x0003, 0xff01]);
    expect(Object.keys(readGroupMembership(state.groupContext.extensions).members).sort()).toEqual([alice.inboxId, bob.inboxId, carol.inboxId].sort());
    expect(readMutableMetadataValue(state.groupContext.extensions).superAdminInboxIds).toEqual([alice.inboxId]);

    for (const c of [bob, carol]) expect((await syncWelcomes(c)).joined).toEqual([group.id]);
    const [bobConv] = await listConversations(bob);
    expect(bobConv).toMatchObject({ kind: 'group', isActive: true, epoch: 1n });

    const first = await sendText(alice, { groupId: group.groupId, text: 'hi all' });
    await syncGroup(bob, { groupId: group.groupId });
    const reply = await sendReply(bob, { groupId: group.groupId, messageId: first.messageId, text: 'hi alice' });
    await sendReaction(bob, { groupId: group.groupId, messageId: first.messageId, emoji: '👍' });
    await syncGroup(carol, { groupId: group.groupId });
    await sendReaction(carol, { groupId: group.groupId, messageId: reply.messageId, emoji: '🎉' });
    for (const c of [alice, bob, carol]) await syncGroup(c, { groupId: group.groupId });
    const aliceView = await view(alice, group.groupId);
    expect(aliceView.map(([s, t]) => [s, t])).toEqual([
      [alice.inboxId, 'xmtp.org/text:1.0'],
      [bob.inboxId, 'xmtp.org/reply:1.0'],
      [bob.inboxId, 'xmtp.org/reaction:2.0'],
      [carol.inboxId, 'xmtp.org/reaction:2.0'],
    ]);
    const replyValue = aliceView[1]![2] as Reply;
    expect(replyValue).toMatchObject({ reference: first.messageId, referenceInboxId: alice.inboxId });
    expect(await decodeContent(alice.contentRegistry, encodedContentToBytes(replyValue.content))).toMatchObject({ kind: 'content', content: 'hi alice' });
    expect(aliceView[3]![2]).toMatchObject({ reference: reply.messageId, referenceInboxId: bob.inboxId, content: '🎉' });
    expect(await view(bob, group.groupId)).toEqual(aliceView);
    expect(await view(carol, group.groupId)).toEqual(aliceView);

    // add dave, remove carol, rename
    const added = await addMembers(alice, { groupId: group.groupId, inboxIds: [dave.inboxId] });
    expect(added.addedInstallations).toHaveLength(1);
    expect((await syncWelcomes(dave)).joined).toEqual([group.id]);
    const removed = await removeMembers(alice, { groupId: group.groupId, inboxIds: [carol.inboxId] });
    expect(removed.removedInstallations).toHaveLength(1);
    await updateGroupName(bob, { groupId: group.groupId, name: 'trio renamed' });
    for (const c of [alice, bob, dave]) expect((await syncGroup(c, { groupId: group.groupId })).skipped).toEqual([]);
    // carol processes her removal; the rename after it is in an epoch she is not in
    const carolSync = await syncGroup(carol, { groupId: group.groupId });
    expect(carolSync.skipped).toHaveLength(1);

    const members = [alice.inboxId, bob.inboxId, dave.inboxId].sort();
    for (const c of [alice, bob, dave]) {
      const [conv] = (await listConversations(c)).filter((x) => x.id === group.id);
      expect(conv).toMatchObject({ isActive: true, memberInboxIds: members });
      const { state: s } = await loadGroup(c.store, group.groupId);
      expect(readMutableMetadataValue(s.groupContext.extensions).attributes.group_name).toBe('trio renamed');
    }
    const [carolConv] = await listConversations(carol);
    expect(carolConv?.isActive).toBe(false);

    const expectedUpdates = [
      { initiatedByInboxId: alice.inboxId, addedInboxes: [dave.inboxId], removedInboxes: [] },
      { initiatedByInboxId: alice.inboxId, addedInboxes: [], removedInboxes: [carol.inboxId] },
      { initiatedByInboxId: bob.inboxId, metadataFieldChanges: [{ fieldName: 'group_name', oldValue: 'trio', newValue: 'trio renamed' }] },
    ];
    const aliceUpdates = await updates(alice, group.groupId);
    expect(aliceUpdates[0]).toMatchObject({ initiatedByInboxId: alice.inboxId, addedInboxes: [bob.inboxId, carol.inboxId] }); // creation
    expect(aliceUpdates.slice(1)).toMatchObject(expectedUpdates);
    expect(await updates(bob, group.groupId)).toMatchObject(expectedUpdates);
    expect(await updates(dave, group.groupId)).toMatchObject(expectedUpdates.slice(1));
    // the same transcript ids everywhere
    const ids = async (c: XmtpClient) => (await listMessages(c, { groupId: group.groupId })).filter((m) => m.contentType === GU).map((m) => m.id);
    expect((await ids(alice)).slice(1)).toEqual(await ids(bob));

    // dave and bob talk in the new epoch; carol cannot send any more
    await sendText(dave, { groupId: group.groupId, text: 'hello from dave' });
    await syncGroup(bob, { groupId: group.groupId });
    expect((await view(bob, group.groupId)).at(-1)).toEqual([dave.inboxId, 'xmtp.org/text:1.0', 'hello from dave']);
    await expect(sendText(carol, { groupId: group.groupId, text: 'still here?' })).rejects.toThrow();
  });

  test('behavior: a crash between publishing our commit and merging it is recovered by the next sync', async () => {
    const [alice, bob] = await Promise.all([newClient(), newClient()]);
    const group = await createGroup(alice, { name: 'before', memberInboxIds: [bob.inboxId] });
    await syncWelcomes(bob);
    // alice "crashes" right after the node took the rename: the read-back fails once
    let crash = false;
    const mls = new Proxy(alice.api.mls, {
      get(target, prop, receiver) {
        if (prop === 'sendGroupMessages') crash = true;
        if (prop === 'queryGroupMessages' && crash) {
          return () => {
            crash = false;
            return Promise.reject(new Error('crashed'));
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const crashing = { ...alice, api: { ...alice.api, mls } } as XmtpClient;
    await expect(updateGroupName(crashing, { groupId: group.groupId, name: 'after' })).rejects.toThrow('crashed');
    expect((await listConversations(alice))[0]?.name).toBe('before'); // pending, not merged
    expect((await syncGroup(alice, { groupId: group.groupId })).skipped).toEqual([]);
    expect((await listConversations(alice))[0]?.name).toBe('after');
    expect((await updates(alice, group.groupId)).at(-1)).toMatchObject({ initiatedByInboxId: alice.inboxId, metadataFieldChanges: [{ fieldName: 'group_name', newValue: 'after' }] });
    // and the group goes on in the new epoch
    await sendText(alice, { groupId: group.groupId, text: 'x' });
    expect((await syncGroup(bob, { groupId: group.groupId })).skipped).toEqual([]);
    expect((await listConversations(bob))[0]).toMatchObject({ name: 'after', epoch: 2n });
    expect(await view(bob, group.groupId)).toEqual([[alice.inboxId, 'xmtp.org/text:1.0', 'x']]);
  });

  test('error: unknown inboxes, adding a member twice, replying to an unknown message', async () => {
    const [alice, bob] = await Promise.all([newClient(), newClient()]);
    await expect(createGroup(alice, { memberInboxIds: ['nope'] })).rejects.toMatchObject({ code: 'conversations.invalid_member' });
    const group = await createGroup(alice, { memberInboxIds: [bob.inboxId] });
    await expect(addMembers(alice, { groupId: group.groupId, inboxIds: [bob.inboxId] })).rejects.toMatchObject({ code: 'conversations.nothing_to_change' });
    await expect(sendReply(alice, { groupId: group.groupId, messageId: 'ab'.repeat(32), text: 'x' })).rejects.toMatchObject({ code: 'conversations.unknown_message' });
    // the failed attempts left the group usable
    await sendText(alice, { groupId: group.groupId, text: 'still fine' });
    await syncWelcomes(bob);
    await syncGroup(bob, { groupId: group.groupId });
    expect(await view(bob, group.groupId)).toEqual([[alice.inboxId, 'xmtp.org/text:1.0', 'still fine']]);
  });
});

describe('our own commits are checked against the group policies before they are sent', () => {
  test('a member who is not an admin cannot remove anyone or change an admin-only field; nothing is stored or sent, and allowed changes still go', async () => {
    const [alice, bob, carol, dave] = await Promise.all([newClient(), newClient(), newClient(), newClient()]);
    const group = await createGroup(alice, { name: 'policies', memberInboxIds: [bob.inboxId, carol.inboxId] });
    await syncWelcomes(bob);
    await syncGroup(bob, { groupId: group.groupId });
    const before = await loadGroup(bob.store, group.groupId);
    const onNode = async () => (await bob.api.mls.queryGroupMessages({ groupId: group.groupId, pagingInfo: { limit: 100 } })).messages.length;
    const nodeBefore = await onNode();

    const refused = await removeMembers(bob, { groupId: group.groupId, inboxIds: [carol.inboxId] }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: UpdateGroupErrorCodes.notPermitted });
    expect((refused as Error).message).toMatch(/not_permitted/);
    const refused2 = await updateGroupMetadata(bob, { groupId: group.groupId, attributes: { message_disappear_in_ns: '1000' } }).catch((e: unknown) => e);
    expect(refused2).toMatchObject({ code: UpdateGroupErrorCodes.notPermitted });

    const after = await loadGroup(bob.store, group.groupId);
    expect(after.record.state).toEqual(before.record.state);
    expect(after.record.pendingCommit).toBeUndefined();
    expect(await onNode()).toBe(nodeBefore);

    // Allowed for every member by the default policies: adding someone and renaming.
    await addMembers(bob, { groupId: group.groupId, inboxIds: [dave.inboxId] });
    await updateGroupName(bob, { groupId: group.groupId, name: 'renamed by bob' });
    // and the super admin may remove
    await removeMembers(alice, { groupId: group.groupId, inboxIds: [carol.inboxId] });
    await syncGroup(bob, { groupId: group.groupId });
    const { state } = await loadGroup(bob.store, group.groupId);
    expect(Object.keys(readGroupMembership(state.groupContext.extensions).members).sort()).toEqual([alice.inboxId, bob.inboxId, dave.inboxId].sort());
  });
});
