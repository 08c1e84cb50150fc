// DM stitching between OUR clients through a real node: both sides create a DM before seeing the
// other's, so each ends up in two DM groups with the same member; each lists ONE DM (the most
// recently active group), with the messages of both groups in order; createDm returns that group.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient } from '../client.js';
import { createXmtpApi } from '../delivery/create-xmtp-api.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { newWallet } from '../test-support/identity-builder.js';
import { createDm } from './create-dm.js';
import { dmId } from './dm-stitching.js';
import { listConversations } from './list-conversations.js';
import { listMessages } from './list-messages.js';
import { sendText } from './send-text.js';
import { syncAll } from './sync-all.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
});

const newClient = () => createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet() });

describe('DM stitching', () => {
  test('default: two DM groups between the same people are one conversation on both sides', async () => {
    const [alice, bob] = await Promise.all([newClient(), newClient()]);
    const first = await createDm(alice, { peerInboxId: bob.inboxId });
    await sendText(alice, { groupId: first.groupId, text: 'from alice in the first DM' });
    const second = await createDm(bob, { peerInboxId: alice.inboxId }); // bob has not seen alice's yet
    expect(second.created).toBe(true);
    expect(second.id).not.toBe(first.id);
    await sendText(bob, { groupId: second.groupId, text: 'from bob in the second DM' });

    for (const c of [alice, bob]) await syncAll(c);
    for (const [me, other] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const dms = (await listConversations(me)).filter((c) => c.kind === 'dm');
      expect(dms).toHaveLength(1);
      // the second DM has the newest message: it is the one shown, the first is stitched into it
      expect(dms[0]).toMatchObject({ id: second.id, dmPeerInboxId: other.inboxId, duplicateDmIds: [first.id] });
      const texts = (await listMessages(me, { groupId: first.groupId })).map((m) => [m.senderInboxId, m.content]);
      expect(texts).toEqual([
        [alice.inboxId, 'from alice in the first DM'],
        [bob.inboxId, 'from bob in the second DM'],
      ]);
      expect((await listMessages(me, { groupId: second.groupId })).map((m) => m.content)).toEqual(texts.map(([, t]) => t));
      // createDm finds the shown one
      expect(await createDm(me, { peerInboxId: other.inboxId })).toMatchObject({ id: second.id, created: false });
    }
    expect(dmId(bob.inboxId, alice.inboxId)).toBe(dmId(alice.inboxId.toUpperCase(), bob.inboxId));

    // a new message in the first DM makes it the shown one
    await sendText(alice, { groupId: first.groupId, text: 'back in the first' });
    expect((await listConversations(alice)).filter((c) => c.kind === 'dm').map((c) => c.id)).toEqual([first.id]);
  });
});
