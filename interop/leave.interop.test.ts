// Leaving a group with REAL libxmtp 1.10 (@xmtp/node-sdk 6.0.0, `requestRemoval`) through our node:
//  (a) a libxmtp member leaves OUR group: its LeaveRequest reaches us, our next sync (we are the
//      super admin) removes it; it goes inactive, the other libxmtp member sees the removal, and
//      our transcript lists it as left;
//  (b) we leave a libxmtp group: libxmtp (super admin) removes us; we go inactive.
// Run: npx vitest run --config vitest.interop.config.ts interop/leave.interop.test.ts
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type XmtpClient } from '../src/protocol/client.js';
import type { GroupUpdated } from '../src/protocol/content/group-updated-codec.js';
import { createGroup } from '../src/protocol/conversations/create-group.js';
import { leaveGroup } from '../src/protocol/conversations/leave-group.js';
import { listConversations } from '../src/protocol/conversations/list-conversations.js';
import { listMessages } from '../src/protocol/conversations/list-messages.js';
import { sendText } from '../src/protocol/conversations/send-text.js';
import { syncGroup } from '../src/protocol/conversations/sync-group.js';
import { syncWelcomes } from '../src/protocol/conversations/sync-welcomes.js';
import { createXmtpApi } from '../src/protocol/delivery/create-xmtp-api.js';
import { createMemoryStore } from '../src/protocol/storage/memory-store.js';
import { newWallet } from '../src/protocol/test-support/identity-builder.js';
import { createPeer, ensureLibxmtpRuntime, interopTmpDir, type GroupUpdatedContent, type NodeProcess, type Peer, type PeerIdentity, startNodeProcess } from './harness.js';

let node: NodeProcess;
let lxA: Peer;
let lxB: Peer;
let idA: PeerIdentity;
let idB: PeerIdentity;
let ours: XmtpClient;

beforeAll(async () => {
  await ensureLibxmtpRuntime();
  node = await startNodeProcess({ db: path.join(interopTmpDir(), 'leave.sqlite') });
  lxA = createPeer('leave-libxmtp-a', node.url);
  lxB = createPeer('leave-libxmtp-b', node.url);
  [idA, idB] = await Promise.all([lxA.init(), lxB.init()]);
  ours = await createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet() });
});
afterAll(async () => {
  await node?.stop();
});

const conversation = async (id: string) => (await listConversations(ours)).find((c) => c.id === id);

describe('leaving a group', () => {
  it('(a) a libxmtp member leaves our group: we remove it on our next sync and list it as left', async () => {
    const group = await createGroup(ours, { name: 'leave ours', memberInboxIds: [idA.inboxId, idB.inboxId] });
    await sendText(ours, { groupId: group.groupId, text: 'welcome both' });
    await lxA.waitMessage(group.id, 'welcome both', 60);
    await lxB.waitMessage(group.id, 'welcome both', 60);

    const asked = await lxA.leave(group.id);
    expect(asked).toMatchObject({ isPendingRemoval: true, isActive: true });

    const sync = await syncGroup(ours, { groupId: group.groupId });
    expect(sync.skipped).toEqual([]);
    expect(sync.removedPendingInboxes).toEqual([idA.inboxId]);
    expect((await conversation(group.id))?.memberInboxIds.sort()).toEqual([ours.inboxId, idB.inboxId].sort());
    const transcript = (await listMessages(ours, { groupId: group.groupId })).filter((m) => m.contentType === 'xmtp.org/group_updated:1.0').at(-1)?.content as GroupUpdated;
    expect(transcript).toMatchObject({ initiatedByInboxId: ours.inboxId, leftInboxes: [idA.inboxId], removedInboxes: [] });

    const lxAView = (await lxA.list({ sync: true })).find((c) => c.id === group.id);
    expect(lxAView?.isActive).toBe(false);
    const lxBView = (await lxB.list({ sync: true })).find((c) => c.id === group.id);
    expect(lxBView?.members.map((m) => m.inboxId).sort()).toEqual([ours.inboxId, idB.inboxId].sort());
    // libxmtp's transcript says the same: left, initiated by us
    const lxBUpdate = (await lxB.messages(group.id, { sync: true })).filter((m) => m.kind === 'MembershipChange').at(-1)?.content as GroupUpdatedContent;
    expect(lxBUpdate).toMatchObject({ initiatedByInboxId: ours.inboxId, leftInboxes: [{ inboxId: idA.inboxId }], removedInboxes: [] });
    // the group goes on without it
    await sendText(ours, { groupId: group.groupId, text: 'just us now' });
    expect((await lxB.waitMessage(group.id, 'just us now', 60)).message.senderInboxId).toBe(ours.inboxId);
  });

  it('(b) we leave a libxmtp group: libxmtp, the super admin, removes us', async () => {
    const conv = await lxB.groupCreate('leave theirs', [ours.inboxId, idA.inboxId]);
    await syncWelcomes(ours);
    const groupId = new Uint8Array(Buffer.from(conv.id, 'hex'));
    await syncGroup(ours, { groupId });

    expect(await leaveGroup(ours, { groupId })).toMatchObject({ isPendingRemoval: true });
    expect(await conversation(conv.id)).toMatchObject({ isActive: true, isPendingRemoval: true });

    // libxmtp's worker removes members pending removal every 2 s while its client runs: keep it
    // running a few seconds (a wait that finds nothing).
    await lxB.run(['wait-message', conv.id, 'nothing will match this', '8']).catch(() => undefined);
    const members = await lxB.members(conv.id, { sync: true });
    expect(members.map((m) => m.inboxId).sort()).toEqual([idB.inboxId, idA.inboxId].sort());

    await syncGroup(ours, { groupId });
    expect(await conversation(conv.id)).toMatchObject({ isActive: false });
  });
});
