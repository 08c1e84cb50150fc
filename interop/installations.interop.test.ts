// A member's new device, with REAL libxmtp 1.10 (@xmtp/node-sdk 6.0.0) through our node:
//  (a) a libxmtp member of OUR group registers a second installation; our next send adds it (our
//      installation-sync commit, which libxmtp validates), and both libxmtp devices read it; libxmtp
//      keeps talking in the group (no fork);
//  (b) OUR user registers a second installation while in a libxmtp group; libxmtp's next send adds
//      it (libxmtp's installation-sync commit, which our validator accepts) and our new device reads it.
// Run: npx vitest run --config vitest.interop.config.ts interop/installations.interop.test.ts
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type XmtpClient } from '../src/protocol/client.js';
import { createGroup } from '../src/protocol/conversations/create-group.js';
import { listMessages } from '../src/protocol/conversations/list-messages.js';
import { sendText } from '../src/protocol/conversations/send-text.js';
import { syncGroup } from '../src/protocol/conversations/sync-group.js';
import { syncWelcomes } from '../src/protocol/conversations/sync-welcomes.js';
import { createXmtpApi } from '../src/protocol/delivery/create-xmtp-api.js';
import { createMemoryStore } from '../src/protocol/storage/memory-store.js';
import { newWallet } from '../src/protocol/test-support/identity-builder.js';
import { copyIdentity, createPeer, ensureLibxmtpRuntime, interopTmpDir, type NodeProcess, type Peer, type PeerIdentity, startNodeProcess } from './harness.js';

let node: NodeProcess;
let lxA: Peer;
let idA: PeerIdentity;
const ourKey = generatePrivateKey();
let ours: XmtpClient;

beforeAll(async () => {
  await ensureLibxmtpRuntime();
  node = await startNodeProcess({ db: path.join(interopTmpDir(), 'installations.sqlite') });
  lxA = createPeer('inst-libxmtp-a', node.url);
  idA = await lxA.init();
  ours = await createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet(ourKey) });
});
afterAll(async () => {
  await node?.stop();
});

const texts = async (c: XmtpClient, groupId: Uint8Array) =>
  (await listMessages(c, { groupId })).filter((m) => m.contentType === 'xmtp.org/text:1.0').map((m) => [m.senderInboxId, m.content]);

describe("a member's new device", () => {
  it("(a) a libxmtp member's second installation is added to our group by our next send", async () => {
    const group = await createGroup(ours, { name: 'devices', memberInboxIds: [idA.inboxId] });
    await sendText(ours, { groupId: group.groupId, text: 'hello first device' });
    await lxA.waitMessage(group.id, 'hello first device', 60);

    const lxA2 = createPeer('inst-libxmtp-a2', node.url);
    copyIdentity(lxA, lxA2);
    const idA2 = await lxA2.init();
    expect(idA2.inboxId).toBe(idA.inboxId);
    expect(idA2.installationId).not.toBe(idA.installationId);

    // Over 5 s since the last check: the send first commits A's new installation.
    await new Promise((r) => setTimeout(r, 5_500));
    await sendText(ours, { groupId: group.groupId, text: 'hello both devices' });
    const got2 = await lxA2.waitMessage(group.id, 'hello both devices', 60);
    expect(got2.message).toMatchObject({ senderInboxId: ours.inboxId, content: 'hello both devices' });
    const got1 = await lxA.waitMessage(group.id, 'hello both devices', 60);
    expect(got1.message.senderInboxId).toBe(ours.inboxId);

    const members = await lxA.members(group.id, { sync: true });
    expect(members.find((m) => m.inboxId === idA.inboxId)?.installationIds.sort()).toEqual([idA.installationId, idA2.installationId].sort());

    // Both libxmtp devices keep talking with us in the new epoch.
    await lxA.send(group.id, 'from device one');
    await lxA2.send(group.id, 'from device two');
    await syncGroup(ours, { groupId: group.groupId });
    expect((await texts(ours, group.groupId)).filter(([s]) => s === idA.inboxId).map(([, t]) => t)).toEqual(['from device one', 'from device two']);
    expect((await lxA.debug(group.id)).maybeForked).toBe(false);
  });

  it("(b) our user's second installation is added to a libxmtp group by libxmtp's next send", async () => {
    const conv = await lxA.groupCreate('their group', [ours.inboxId]);
    await syncWelcomes(ours);
    const groupId = new Uint8Array(Buffer.from(conv.id, 'hex'));
    await lxA.send(conv.id, 'to your first device');
    await syncGroup(ours, { groupId });

    const ours2 = await createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet(ourKey) });
    expect(ours2.inboxId).toBe(ours.inboxId);
    await new Promise((r) => setTimeout(r, 5_500));
    await lxA.send(conv.id, 'to both of your devices');

    const joined = await syncWelcomes(ours2);
    expect(joined.joined).toEqual([conv.id]);
    const sync2 = await syncGroup(ours2, { groupId });
    expect(sync2.skipped).toEqual([]);
    expect(await texts(ours2, groupId)).toEqual([[idA.inboxId, 'to both of your devices']]);

    // Our first device processed libxmtp's installation commit (validated) and reads on.
    const sync1 = await syncGroup(ours, { groupId });
    expect(sync1.skipped).toEqual([]);
    expect((await texts(ours, groupId)).map(([, t]) => t)).toEqual(['to your first device', 'to both of your devices']);
    const members = await lxA.members(conv.id, { sync: true });
    expect(members.find((m) => m.inboxId === ours.inboxId)?.installationIds.sort()).toEqual([bytesToHex(ours.installation.publicKey), bytesToHex(ours2.installation.publicKey)].sort());

    // Our new device answers and libxmtp reads it.
    await sendText(ours2, { groupId, text: 'from your second device' });
    expect((await lxA.waitMessage(conv.id, 'from your second device', 60)).message.senderInboxId).toBe(ours.inboxId);
  });
});
