// Leaving a group between OUR clients through a real node (libxmtp 1.10's flow): the leaver sends a
// LeaveRequest and is pending removal; the super admin's next sync removes it in one commit; other
// members (not super admins) only record the request; every transcript lists the leaver as "left";
// DMs, the only member and super admins cannot leave.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient, type XmtpClient } from '../client.js';
import type { GroupUpdated } from '../content/group-updated-codec.js';
import { createXmtpApi } from '../delivery/create-xmtp-api.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { newWallet } from '../test-support/identity-builder.js';
import { loadGroup } from './conversation-store.js';
import { createDm } from './create-dm.js';
import { createGroup } from './create-group.js';
import { readGroupMembership } from './group-extensions.js';
import { LeaveGroupErrorCodes, leaveGroup } from './leave-group.js';
import { listConversations } from './list-conversations.js';
import { listMessages } from './list-messages.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes } from './sync-welcomes.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
});

const newClient = () => createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet() });
const conversation = async (c: XmtpClient, id: string) => (await listConversations(c)).find((x) => x.id === id)!;
const updates = async (c: XmtpClient, groupId: Uint8Array) =>
  (await listMessages(c, { groupId })).filter((m) => m.contentType === 'xmtp.org/group_updated:1.0').map((m) => m.content as GroupUpdated);
const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('leaveGroup', () => {
  test('default: a member asks to leave, the super admin removes it on its next sync, everyone sees it as left', async () => {
    const [alice, bob, carol] = await Promise.all([newClient(), newClient(), newClient()]);
    const group = await createGroup(alice, { name: 'leavers', memberInboxIds: [bob.inboxId, carol.inboxId] });
    for (const c of [bob, carol]) await syncWelcomes(c);

    const left = await leaveGroup(bob, { groupId: group.groupId });
    expect(left).toMatchObject({ isPendingRemoval: true, messageId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await conversation(bob, group.id)).toMatchObject({ isActive: true, isPendingRemoval: true });
    expect(await leaveGroup(bob, { groupId: group.groupId })).toEqual({ isPendingRemoval: true }); // asked once only

    // carol is not a super admin: she records the request, removes nobody
    const carolSync = await syncGroup(carol, { groupId: group.groupId });
    expect(carolSync.removedPendingInboxes).toBeUndefined();
    expect(await conversation(carol, group.id)).toMatchObject({ pendingRemovalInboxIds: [bob.inboxId], isPendingRemoval: false });

    const aliceSync = await syncGroup(alice, { groupId: group.groupId });
    expect(aliceSync.removedPendingInboxes).toEqual([bob.inboxId]);
    const { state } = await loadGroup(alice.store, group.groupId);
    expect(Object.keys(readGroupMembership(state.groupContext.extensions).members).sort()).toEqual([alice.inboxId, carol.inboxId].sort());
    expect(await conversation(alice, group.id)).toMatchObject({ pendingRemovalInboxIds: [] });

    await syncGroup(bob, { groupId: group.groupId });
    expect(await conversation(bob, group.id)).toMatchObject({ isActive: false });
    await syncGroup(carol, { groupId: group.groupId });
    expect(await conversation(carol, group.id)).toMatchObject({ pendingRemovalInboxIds: [] });
    for (const c of [alice, carol]) {
      expect((await updates(c, group.groupId)).at(-1)).toMatchObject({ initiatedByInboxId: alice.inboxId, leftInboxes: [bob.inboxId], removedInboxes: [] });
    }
    // a later sync by alice has nothing more to do
    expect((await syncGroup(alice, { groupId: group.groupId })).removedPendingInboxes).toBeUndefined();
  });

  test('a DM, the only member and a super admin cannot leave; nothing is sent', async () => {
    const [alice, bob] = await Promise.all([newClient(), newClient()]);
    const dm = await createDm(alice, { peerInboxId: bob.inboxId });
    expect(await rejection(leaveGroup(alice, { groupId: dm.groupId }))).toMatchObject({ code: LeaveGroupErrorCodes.dm });
    const alone = await createGroup(alice, { name: 'solo', memberInboxIds: [] });
    expect(await rejection(leaveGroup(alice, { groupId: alone.groupId }))).toMatchObject({ code: LeaveGroupErrorCodes.onlyMember });
    const group = await createGroup(alice, { name: 'g', memberInboxIds: [bob.inboxId] });
    expect(await rejection(leaveGroup(alice, { groupId: group.groupId }))).toMatchObject({ code: LeaveGroupErrorCodes.superAdmin });
    for (const id of [dm.groupId, alone.groupId, group.groupId]) {
      expect((await listMessages(alice, { groupId: id })).filter((m) => m.contentType === 'xmtp.org/leave_request:1.0')).toEqual([]);
    }
  });
});
