// DM interop with REAL libxmtp 1.10 (@xmtp/node-sdk 6.0.0) through our node, driving OUR client's
// conversation actions (src/protocol/conversations) in this process over gRPC-web:
//  (a) a libxmtp peer DMs us → syncWelcomes + syncGroup show it from libxmtp's inbox; our reply
//      reaches libxmtp from our inbox; libxmtp's next message (after its KeyUpdate commit, T12) too;
//  (b) we create a DM to another libxmtp peer (X-Wing-wrapped welcome) and send → libxmtp finds it;
//      its reply reaches us; order and senders checked on both sides;
//  (c) messages sent while our client is offline arrive when it syncs (after a reopen of its store);
//  (d) a message we send while the node is down waits in our outbox and reaches libxmtp once.
// Run: npx vitest run --config vitest.interop.config.ts interop/dm.interop.test.ts
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WelcomeWrapperAlgorithm } from '../src/gen/mls/message_contents/wrapper_encryption_pb.js';
import { createClient, openClient, type XmtpClient } from '../src/protocol/client.js';
import { createDm } from '../src/protocol/conversations/create-dm.js';
import { listConversations } from '../src/protocol/conversations/list-conversations.js';
import { listMessages } from '../src/protocol/conversations/list-messages.js';
import { OutboxErrorCodes } from '../src/protocol/conversations/outbox.js';
import { sendText } from '../src/protocol/conversations/send-text.js';
import { syncGroup } from '../src/protocol/conversations/sync-group.js';
import { syncWelcomes } from '../src/protocol/conversations/sync-welcomes.js';
import { createXmtpApi } from '../src/protocol/delivery/create-xmtp-api.js';
import { createMemoryStore } from '../src/protocol/storage/memory-store.js';
import type { Store } from '../src/protocol/storage/store.js';
import { newWallet } from '../src/protocol/test-support/identity-builder.js';
import { createPeer, ensureLibxmtpRuntime, interopTmpDir, type MessageInfo, type NodeProcess, type Peer, type PeerIdentity, startNodeProcess } from './harness.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const timings: Record<string, number> = {};
async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await run();
  } finally {
    timings[label] = Math.round(performance.now() - t0);
  }
}

let node: NodeProcess;
const DB_FILE = () => path.join(interopTmpDir(), 'dm.sqlite');
let lxA: Peer;
let lxB: Peer;
let idA: PeerIdentity;
let idB: PeerIdentity;
let store: Store;
let ours: XmtpClient;

beforeAll(async () => {
  await ensureLibxmtpRuntime();
  node = await startNodeProcess({ db: DB_FILE() });
  lxA = createPeer('dm-libxmtp-a', node.url);
  lxB = createPeer('dm-libxmtp-b', node.url);
  [idA, idB] = await Promise.all([lxA.init(), lxB.init()]);
  store = createMemoryStore();
  ours = await timed('ours: createClient (register + X-Wing KP upload)', () => createClient({ api: createXmtpApi({ node: node.url }), store, identity: newWallet() }));
});
afterAll(async () => {
  console.log('timings (ms):', timings);
  await node?.stop();
});

const ourTexts = async (groupId: Uint8Array) => (await listMessages(ours, { groupId })).map((m) => [m.senderInboxId, m.contentType, m.content]);
const peerTexts = (messages: MessageInfo[]) => messages.filter((m) => m.kind === 'Application').map((m) => [m.senderInboxId, m.contentType, m.content]);
const TEXT = 'xmtp.org/text:1.0';

describe('DMs between our client and libxmtp', () => {
  it('(a) libxmtp DMs us; we join, read it, reply; libxmtp reads our reply and answers again', async () => {
    const dm = await timed('libxmtp: dm us (process)', () => lxA.dm(ours.inboxId, 'hello from libxmtp'));
    expect(dm.peerInboxId).toBe(ours.inboxId);

    const welcomes = await timed('ours: syncWelcomes', () => syncWelcomes(ours));
    expect(welcomes).toEqual({ joined: [dm.conversationId], skipped: [] });
    const groupId = fromHex(dm.conversationId);
    const [conv] = await listConversations(ours);
    expect(conv).toMatchObject({ id: dm.conversationId, kind: 'dm', dmPeerInboxId: idA.inboxId, isActive: true });

    const first = await timed('ours: syncGroup (1 message)', () => syncGroup(ours, { groupId }));
    expect(first.skipped).toEqual([]);
    expect(await ourTexts(groupId)).toEqual([[idA.inboxId, TEXT, 'hello from libxmtp']]);
    const lxIds = (await lxA.messages(dm.conversationId)).filter((m) => m.kind === 'Application').map((m) => m.id);
    expect((await listMessages(ours, { groupId })).map((m) => m.id)).toEqual(lxIds); // same message ids

    await timed('ours: sendText', () => sendText(ours, { groupId, text: 'hello from ts' }));
    const got = await timed('libxmtp: wait-message (process)', () => lxA.waitMessage(dm.conversationId, 'hello from ts', 60));
    expect(got.message).toMatchObject({ senderInboxId: ours.inboxId, contentType: TEXT, content: 'hello from ts' });

    await lxA.send(dm.conversationId, 'second from libxmtp');
    const second = await syncGroup(ours, { groupId });
    expect(second.skipped).toEqual([]);
    const expected = [
      [idA.inboxId, TEXT, 'hello from libxmtp'],
      [ours.inboxId, TEXT, 'hello from ts'],
      [idA.inboxId, TEXT, 'second from libxmtp'],
    ];
    expect(await ourTexts(groupId)).toEqual(expected);
    expect(peerTexts(await lxA.messages(dm.conversationId, { sync: true }))).toEqual(expected);
  });

  it('(b) we create a DM to libxmtp (X-Wing welcome) and send; libxmtp reads it and replies', async () => {
    const dm = await timed('ours: createDm (fetch KP, commit, X-Wing welcome)', () => createDm(ours, { peerInboxId: idB.inboxId }));
    expect(dm).toMatchObject({ created: true, addedInstallations: [idB.installationId], failedInstallations: [] });
    const { messages: welcomes } = await ours.api.mls.queryWelcomeMessages({ installationKey: fromHex(idB.installationId), pagingInfo: { limit: 10 } });
    expect(welcomes.map((w) => (w.version.case === 'v1' ? w.version.value.wrapperAlgorithm : undefined))).toEqual([WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6]);

    await sendText(ours, { groupId: dm.groupId, text: 'hi from ts' });
    const got = await timed('libxmtp: join + wait-message (process)', () => lxB.waitMessage(dm.id, 'hi from ts', 60));
    expect(got.message).toMatchObject({ senderInboxId: ours.inboxId, contentType: TEXT, content: 'hi from ts', conversationId: dm.id });
    const lxConv = (await lxB.list()).find((c) => c.id === dm.id);
    expect(lxConv).toMatchObject({ type: 'dm', peerInboxId: ours.inboxId, isActive: true });
    expect(lxConv?.members.map((m) => m.inboxId).sort()).toEqual([ours.inboxId, idB.inboxId].sort());

    await lxB.send(dm.id, 'reply from libxmtp');
    const sync = await timed('ours: syncGroup (KeyUpdate commit + message)', () => syncGroup(ours, { groupId: dm.groupId }));
    expect(sync.skipped).toEqual([]);
    expect(sync.received).toHaveLength(1);
    expect(sync.commits).toBe(1); // libxmtp's KeyUpdate on its first send after joining (T12)
    const expected = [
      [ours.inboxId, TEXT, 'hi from ts'],
      [idB.inboxId, TEXT, 'reply from libxmtp'],
    ];
    expect(await ourTexts(dm.groupId)).toEqual(expected);
    expect(peerTexts(await lxB.messages(dm.id, { sync: true }))).toEqual(expected);

    // and a second round after libxmtp's commit: our message in the new epoch reaches it
    await sendText(ours, { groupId: dm.groupId, text: 'after the key update' });
    const again = await lxB.waitMessage(dm.id, 'after the key update', 60);
    expect(again.message.senderInboxId).toBe(ours.inboxId);
  });

  it('(c) messages sent while we are offline arrive when we sync, in order', async () => {
    const dm = (await listConversations(ours)).find((c) => c.dmPeerInboxId === idB.inboxId);
    if (!dm) throw new Error('step (b) did not create the DM');
    await lxB.send(dm.id, 'offline 1');
    await lxB.send(dm.id, 'offline 2');
    // "restart": a new client over the same store, then sync
    const reopened = await openClient({ api: createXmtpApi({ node: node.url }), store });
    const sync = await timed('ours: syncGroup after offline (2 messages)', () => syncGroup(reopened, { groupId: dm.groupId }));
    expect(sync.skipped).toEqual([]);
    const texts = (await listMessages(reopened, { groupId: dm.groupId })).map((m) => [m.senderInboxId, m.content]);
    expect(texts.slice(-2)).toEqual([
      [idB.inboxId, 'offline 1'],
      [idB.inboxId, 'offline 2'],
    ]);
    expect(hex(reopened.installation.publicKey)).toBe(hex(ours.installation.publicKey));
  });

  it('(d) a message we send while the node is down is kept, and reaches libxmtp exactly once when the node is back', async () => {
    const dm = (await listConversations(ours)).find((c) => c.dmPeerInboxId === idB.inboxId);
    if (!dm) throw new Error('step (b) did not create the DM');
    const { port } = node;
    await node.stop();
    const error = await sendText(ours, { groupId: dm.groupId, text: 'sent while the node was down' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: OutboxErrorCodes.notSentYet, retryable: true });
    expect((await listMessages(ours, { groupId: dm.groupId })).at(-1)).toMatchObject({ content: 'sent while the node was down', deliveryStatus: 'unpublished' });
    node = await startNodeProcess({ db: DB_FILE(), port });
    // The first request may meet a dead keep-alive socket; the outbox keeps the message until a sync gets through.
    let published: string[] = [];
    for (let i = 0; i < 3 && published.length === 0; i++) {
      published = await syncGroup(ours, { groupId: dm.groupId }).then(
        (r) => r.outbox.published,
        () => [],
      );
    }
    expect(published).toHaveLength(1);
    await sendText(ours, { groupId: dm.groupId, text: 'and after it' });
    await lxB.waitMessage(dm.id, 'and after it', 60);
    const seen = peerTexts(await lxB.messages(dm.id, { sync: true })).filter(([, , c]) => c === 'sent while the node was down' || c === 'and after it');
    expect(seen).toEqual([
      [ours.inboxId, TEXT, 'sent while the node was down'],
      [ours.inboxId, TEXT, 'and after it'],
    ]);
  });
});
