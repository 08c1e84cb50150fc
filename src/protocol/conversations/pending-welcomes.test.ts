// Welcomes owed for our commits survive a process killed at each step (pending-welcomes.ts), between
// OUR clients through a real node: creating a group killed before its commit is published, or after
// but before the welcomes; adding a member killed after the commit but before the welcomes; and
// killed before the commit reached the node (the commit is void: no welcome may go out). After a
// reopen, one sync settles it and everybody ends in the same epoch.
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient, openClient, type XmtpClient } from '../client.js';
import { createXmtpApi, type XmtpApi } from '../delivery/create-xmtp-api.js';
import { createMemoryStore } from '../storage/memory-store.js';
import type { Store } from '../storage/store.js';
import { newWallet } from '../test-support/identity-builder.js';
import { ConversationTables, loadGroup } from './conversation-store.js';
import { createGroup } from './create-group.js';
import { listConversations } from './list-conversations.js';
import { listMessages } from './list-messages.js';
import { sendText } from './send-text.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes } from './sync-welcomes.js';
import { addMembers } from './update-group.js';

let node: RunningNode;
let api: XmtpApi;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
  api = createXmtpApi({ node: node.url });
});
afterAll(async () => {
  await node?.close();
});

type Mls = XmtpApi['mls'];
/** The API with one method of `mls` replaced: a process killed around that call. */
function killedAt<K extends keyof Mls>(method: K, replacement: Mls[K]): XmtpApi {
  return { ...api, mls: new Proxy(api.mls, { get: (target, prop) => (prop === method ? replacement : Reflect.get(target, prop)) }) };
}
const kill = () => Promise.reject(new Error('worker killed'));

async function member(): Promise<XmtpClient> {
  return createClient({ api, store: createMemoryStore(), identity: newWallet() });
}

async function epochAuth(c: XmtpClient, groupId: Uint8Array): Promise<string> {
  const { state } = await loadGroup(c.store, groupId);
  return `${state.groupContext.epoch}:${bytesToHex(state.keySchedule.epochAuthenticator)}`;
}

async function reopenAndSync(store: Store): Promise<{ client: XmtpClient; groupId: Uint8Array }> {
  const client = await openClient({ api, store });
  const [conv] = await listConversations(client);
  if (!conv) throw new Error('no conversation stored');
  await syncGroup(client, { groupId: conv.groupId });
  return { client, groupId: conv.groupId };
}

describe('welcomes owed survive a crash', () => {
  test('createGroup killed before its commit is published: the next sync publishes it and sends the welcome', async () => {
    const store = createMemoryStore();
    const alice = await createClient({ api, store, identity: newWallet() });
    const bob = await member();
    const dying = await openClient({ api: killedAt('sendGroupMessages', kill), store });
    await expect(createGroup(dying, { name: 'g', memberInboxIds: [bob.inboxId] })).rejects.toThrow('worker killed');
    expect(await syncWelcomes(bob)).toMatchObject({ joined: [] });

    const { client, groupId } = await reopenAndSync(store);
    expect(client.inboxId).toBe(alice.inboxId);
    expect((await syncWelcomes(bob)).joined).toEqual([bytesToHex(groupId)]);
    expect(await store.list(ConversationTables.pendingWelcomes)).toEqual([]);
    await sendText(client, { groupId, text: 'made it' });
    await syncGroup(bob, { groupId });
    expect((await listMessages(bob, { groupId })).map((m) => m.content)).toContain('made it');
    expect(await epochAuth(bob, groupId)).toBe(await epochAuth(client, groupId));
  });

  test('createGroup killed after its commit, before the welcomes: the next sync sends them (the commit is not sent twice)', async () => {
    const store = createMemoryStore();
    await createClient({ api, store, identity: newWallet() });
    const bob = await member();
    const dying = await openClient({ api: killedAt('sendWelcomeMessages', kill), store });
    await expect(createGroup(dying, { name: 'g', memberInboxIds: [bob.inboxId] })).rejects.toThrow('worker killed');

    const { client, groupId } = await reopenAndSync(store);
    expect((await syncWelcomes(bob)).joined).toEqual([bytesToHex(groupId)]);
    const { messages } = await api.mls.queryGroupMessages({ groupId, pagingInfo: { limit: 100 } });
    expect(messages).toHaveLength(1);
    expect(await epochAuth(bob, groupId)).toBe(await epochAuth(client, groupId));
  });

  test('addMembers killed after its commit, before the welcomes: the next sync sends them and the new member reads on', async () => {
    const store = createMemoryStore();
    const alice = await createClient({ api, store, identity: newWallet() });
    const [bob, carol] = await Promise.all([member(), member()]);
    const group = await createGroup(alice, { name: 'g', memberInboxIds: [bob.inboxId] });
    const dying = await openClient({ api: killedAt('sendWelcomeMessages', kill), store });
    await expect(addMembers(dying, { groupId: group.groupId, inboxIds: [carol.inboxId] })).rejects.toThrow('worker killed');
    expect(await syncWelcomes(carol)).toMatchObject({ joined: [] });

    const { client } = await reopenAndSync(store);
    expect((await syncWelcomes(carol)).joined).toEqual([group.id]);
    await sendText(client, { groupId: group.groupId, text: 'welcome carol' });
    await syncGroup(carol, { groupId: group.groupId });
    expect((await listMessages(carol, { groupId: group.groupId })).map((m) => m.content)).toContain('welcome carol');
    expect(await epochAuth(carol, group.groupId)).toBe(await epochAuth(client, group.groupId));
  });

  test('addMembers killed before its commit reached the node: no welcome ever goes out for it, and adding again works', async () => {
    const store = createMemoryStore();
    const alice = await createClient({ api, store, identity: newWallet() });
    const carol = await member();
    const group = await createGroup(alice, { name: 'g', memberInboxIds: [] });
    const dying = await openClient({ api: killedAt('sendGroupMessages', kill), store });
    await expect(addMembers(dying, { groupId: group.groupId, inboxIds: [carol.inboxId] })).rejects.toThrow('worker killed');
    expect(await store.list(ConversationTables.pendingWelcomes)).toHaveLength(1);

    const { client } = await reopenAndSync(store);
    expect(await store.list(ConversationTables.pendingWelcomes)).toEqual([]);
    expect(await syncWelcomes(carol)).toMatchObject({ joined: [] });
    const { messages } = await api.mls.queryWelcomeMessages({ installationKey: carol.installation.publicKey, pagingInfo: { limit: 10 } });
    expect(messages).toEqual([]);

    await addMembers(client, { groupId: group.groupId, inboxIds: [carol.inboxId] });
    expect((await syncWelcomes(carol)).joined).toEqual([group.id]);
    expect(await epochAuth(carol, group.groupId)).toBe(await epochAuth(client, group.groupId));
  });
});
