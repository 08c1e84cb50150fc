// Members' installations follow their identity logs (syncGroupInstallations, and the check before a
// send), between OUR clients through a real node: a member's new device is added to a group and to
// a DM by the next send and reads from then on; a revoked device is removed; nothing moved → no
// commit.
import { bytesToHex } from '@noble/hashes/utils.js';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient, type XmtpClient } from '../client.js';
import { createXmtpApi } from '../delivery/create-xmtp-api.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { buildUpdate, newWallet } from '../test-support/identity-builder.js';
import { loadGroup } from './conversation-store.js';
import { createDm } from './create-dm.js';
import { createGroup } from './create-group.js';
import { readGroupMembership } from './group-extensions.js';
import { listMessages } from './list-messages.js';
import { sendText } from './send-text.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes } from './sync-welcomes.js';
import { syncGroupInstallations } from './update-group.js';
import { groupLeaves } from './validate-welcome-membership.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
});

const api = () => createXmtpApi({ node: node.url });
const newClient = (key: `0x${string}` = generatePrivateKey()) => createClient({ api: api(), store: createMemoryStore(), identity: newWallet(key) });
const installationsIn = async (c: XmtpClient, groupId: Uint8Array) => groupLeaves((await loadGroup(c.store, groupId)).state).map((l) => bytesToHex(l.installationKey)).sort();
const texts = async (c: XmtpClient, groupId: Uint8Array) => (await listMessages(c, { groupId })).filter((m) => m.contentType === 'xmtp.org/text:1.0').map((m) => m.content);

describe('members follow their identity logs', () => {
  test("default: a member's new device joins the group and the DM with the next send, and reads from then on", async () => {
    const bobKey = generatePrivateKey();
    const [alice, bob, carol] = await Promise.all([newClient(), newClient(bobKey), newClient()]);
    const group = await createGroup(alice, { name: 'g', memberInboxIds: [bob.inboxId, carol.inboxId] });
    const dm = await createDm(alice, { peerInboxId: bob.inboxId });
    await sendText(alice, { groupId: group.groupId, text: 'before the new device' });

    const bob2 = await newClient(bobKey); // a second installation of bob's inbox
    expect(bob2.inboxId).toBe(bob.inboxId);
    // alice's check finds bob's new device and commits it at once
    expect(await syncGroupInstallations(alice, { groupId: group.groupId })).toMatchObject({ commit: { addedInstallations: [bytesToHex(bob2.installation.publicKey)], removedInstallations: [] } });
    // the check before the next send is done (last checked just now): the send goes straight out
    await sendText(alice, { groupId: group.groupId, text: 'after the new device' });
    await sendText(alice, { groupId: dm.groupId, text: 'dm after the new device' }); // first send to the DM: checked, bob2 added

    const joined = await syncWelcomes(bob2);
    expect(joined.joined.sort()).toEqual([group.id, dm.id].sort());
    for (const id of [group.groupId, dm.groupId]) await syncGroup(bob2, { groupId: id });
    expect(await texts(bob2, group.groupId)).toEqual(['after the new device']);
    expect(await texts(bob2, dm.groupId)).toEqual(['dm after the new device']);

    // everyone agrees on the tree and on bob's sequence id
    for (const c of [bob, carol]) {
      await syncWelcomes(c);
      await syncGroup(c, { groupId: group.groupId });
    }
    const expected = await installationsIn(alice, group.groupId);
    expect(expected).toContain(bytesToHex(bob2.installation.publicKey));
    for (const c of [bob, carol, bob2]) expect(await installationsIn(c, group.groupId)).toEqual(expected);
    const { state } = await loadGroup(carol.store, group.groupId);
    const { responses } = await alice.api.identity.getIdentityUpdates({ requests: [{ inboxId: bob.inboxId, sequenceId: 0n }] });
    expect(readGroupMembership(state.groupContext.extensions).members[bob.inboxId]).toBe(responses[0]!.updates.at(-1)!.sequenceId);

    // nothing moved since: no commit
    expect(await syncGroupInstallations(alice, { groupId: group.groupId })).toEqual({});
  });

  test('a revoked device is removed from the group by the next check', async () => {
    const bobKey = generatePrivateKey();
    const [alice, bob] = await Promise.all([newClient(), newClient(bobKey)]);
    const bob2 = await newClient(bobKey);
    const group = await createGroup(alice, { name: 'g', memberInboxIds: [bob.inboxId] });
    expect(await installationsIn(alice, group.groupId)).toContain(bytesToHex(bob2.installation.publicKey));

    const wallet = newWallet(bobKey);
    const update = await buildUpdate({ inboxId: bob.inboxId, actions: [{ kind: 'revoke', recovery: wallet, member: { kind: 'installation', key: bob2.installation.publicKey } }] });
    await bob.api.identity.publishIdentityUpdate({ identityUpdate: update });

    const result = await syncGroupInstallations(alice, { groupId: group.groupId });
    expect(result.commit).toMatchObject({ addedInstallations: [], removedInstallations: [bytesToHex(bob2.installation.publicKey)] });
    await syncWelcomes(bob);
    await syncGroup(bob, { groupId: group.groupId });
    expect(await installationsIn(bob, group.groupId)).toEqual([bytesToHex(alice.installation.publicKey), bytesToHex(bob.installation.publicKey)].sort());
    await syncWelcomes(bob2);
    await syncGroup(bob2, { groupId: group.groupId });
    expect((await loadGroup(bob2.store, group.groupId)).state.groupActiveState.kind).not.toBe('active');
  });
});
