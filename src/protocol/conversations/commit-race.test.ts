// Commit races between OUR clients through a real node: members committing at once all succeed —
// the first commit stored for an epoch wins and each loser is rebuilt on the winner's epoch
// (commitToGroup) — and every member ends on the same epoch with the same epoch authenticator
// (no fork) and every change applied.
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient, type XmtpClient } from '../client.js';
import { createXmtpApi } from '../delivery/create-xmtp-api.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { newWallet } from '../test-support/identity-builder.js';
import { loadGroup } from './conversation-store.js';
import { createGroup } from './create-group.js';
import { readGroupMembership, readMutableMetadataValue } from './group-extensions.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes } from './sync-welcomes.js';
import { addMembers, updateGroupMetadata, updateGroupName } from './update-group.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
});

const newClient = () => createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet() });

async function epochView(c: XmtpClient, groupId: Uint8Array): Promise<[bigint, string]> {
  const { state } = await loadGroup(c.store, groupId);
  return [state.groupContext.epoch, bytesToHex(state.keySchedule.epochAuthenticator)];
}

describe('commit races', () => {
  test('3 members committing at once (add, rename, describe): every commit lands, nobody forks', async () => {
    const [alice, bob, carol, dave] = await Promise.all([newClient(), newClient(), newClient(), newClient()]);
    const group = await createGroup(alice, { name: 'start', memberInboxIds: [bob.inboxId, carol.inboxId] });
    await Promise.all([syncWelcomes(bob), syncWelcomes(carol)]);
    const { groupId } = group;
    const before = (await epochView(alice, groupId))[0];

    const results = await Promise.all([
      addMembers(alice, { groupId, inboxIds: [dave.inboxId] }),
      updateGroupName(bob, { groupId, name: 'renamed' }),
      updateGroupMetadata(carol, { groupId, attributes: { description: 'described' } }),
    ]);
    // Three distinct epochs: each commit was built on the one before it.
    expect(results.map((r) => r.epoch).sort()).toEqual([before + 1n, before + 2n, before + 3n]);

    await syncWelcomes(dave);
    for (const c of [alice, bob, carol, dave]) await syncGroup(c, { groupId });
    const views = await Promise.all([alice, bob, carol, dave].map((c) => epochView(c, groupId)));
    expect(views.map((v) => v[0])).toEqual([before + 3n, before + 3n, before + 3n, before + 3n]);
    expect(new Set(views.map((v) => v[1])).size).toBe(1);

    const { state } = await loadGroup(dave.store, groupId);
    expect(readMutableMetadataValue(state.groupContext.extensions).attributes).toMatchObject({ group_name: 'renamed', description: 'described' });
    expect(Object.keys(readGroupMembership(state.groupContext.extensions).members).sort()).toEqual([alice.inboxId, bob.inboxId, carol.inboxId, dave.inboxId].sort());
  });

  test('5 members each adding someone at once: all 5 land in 5 consecutive epochs, nobody forks', async () => {
    const members = await Promise.all(Array.from({ length: 5 }, newClient));
    const newcomers = await Promise.all(Array.from({ length: 5 }, newClient));
    const [creator, ...others] = members as [XmtpClient, ...XmtpClient[]];
    const group = await createGroup(creator, { memberInboxIds: others.map((m) => m.inboxId) });
    await Promise.all(others.map((m) => syncWelcomes(m)));
    const { groupId } = group;
    const before = (await epochView(creator, groupId))[0];

    const results = await Promise.all(members.map((m, i) => addMembers(m, { groupId, inboxIds: [newcomers[i]!.inboxId] })));
    expect(results.map((r) => r.epoch).sort()).toEqual([1n, 2n, 3n, 4n, 5n].map((d) => before + d));

    await Promise.all(newcomers.map((m) => syncWelcomes(m)));
    const everyone = [...members, ...newcomers];
    for (const c of everyone) await syncGroup(c, { groupId });
    const views = await Promise.all(everyone.map((c) => epochView(c, groupId)));
    expect(new Set(views.map((v) => v[0]))).toEqual(new Set([before + 5n]));
    expect(new Set(views.map((v) => v[1])).size).toBe(1);
    const { state } = await loadGroup(creator.store, groupId);
    expect(Object.keys(readGroupMembership(state.groupContext.extensions).members).sort()).toEqual(everyone.map((c) => c.inboxId).sort());
  });
});
