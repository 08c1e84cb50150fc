// Send intents (outbox.ts) between OUR clients through a real node: a message sent while the node is
// down is kept and sent by a later sync; a send killed at each step (before the node has it, after
// the node has it but before our bookkeeping) reaches the node exactly once after a reopen; a
// message whose epoch moved on while it waited is re-encrypted with the same message id; a message
// the node refuses for good is `failed`; the same message delivered twice is stored once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { createApplicationMessage, decode, encode, mlsMessageDecoder, mlsMessageEncoder, wireformats } from 'ts-mls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient, openClient, type XmtpClient } from '../client.js';
import { encodePlaintextEnvelope, idempotencyKeyFor } from '../content/plaintext-envelope.js';
import { createXmtpApi, type XmtpApi } from '../delivery/create-xmtp-api.js';
import { queryGroupMessagesAfter } from '../delivery/query-all.js';
import { XmtpError } from '../errors.js';
import { createMemoryStore } from '../storage/memory-store.js';
import type { Store } from '../storage/store.js';
import { newWallet } from '../test-support/identity-builder.js';
import { ConversationTables, loadGroup, saveGroup } from './conversation-store.js';
import { createDm } from './create-dm.js';
import { createGroup } from './create-group.js';
import { listMessages } from './list-messages.js';
import { MAX_SEND_ATTEMPTS, OutboxErrorCodes } from './outbox.js';
import { senderHmac } from './sender-hmac.js';
import { sendText } from './send-text.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes } from './sync-welcomes.js';
import { updateGroupName } from './update-group.js';
import { encodeContent } from '../content/encode-content.js';
import { textCodec } from '../content/text-codec.js';

let dir: string;
let dbFile: string;
let node: RunningNode;
let port: number;
let api: XmtpApi;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'outbox-'));
  dbFile = path.join(dir, 'node.sqlite');
  node = await startNode({ db: dbFile });
  port = node.port;
  api = createXmtpApi({ node: node.url });
});
afterAll(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Mls = XmtpApi['mls'];
/** The same API with `sendGroupMessages` replaced (a process killed around the node call). */
function withSend(base: XmtpApi, send: Mls['sendGroupMessages']): XmtpApi {
  return { ...base, mls: new Proxy(base.mls, { get: (target, prop) => (prop === 'sendGroupMessages' ? send : Reflect.get(target, prop)) }) };
}
const killedBeforeSend = withSend;

async function pair(): Promise<{ alice: XmtpClient; aliceStore: Store; bob: XmtpClient; groupId: Uint8Array }> {
  const aliceStore = createMemoryStore();
  const alice = await createClient({ api, store: aliceStore, identity: newWallet() });
  const bob = await createClient({ api, store: createMemoryStore(), identity: newWallet() });
  const dm = await createDm(alice, { peerInboxId: bob.inboxId });
  await syncWelcomes(bob);
  return { alice, aliceStore, bob, groupId: dm.groupId };
}

const texts = async (c: XmtpClient, groupId: Uint8Array) =>
  (await listMessages(c, { groupId })).filter((m) => m.contentType === 'xmtp.org/text:1.0').map((m) => [m.content, m.deliveryStatus]);

/** Application messages on the node for the group (commits excluded). */
async function nodeApplicationMessages(groupId: Uint8Array): Promise<number> {
  let n = 0;
  for await (const m of queryGroupMessagesAfter(api, groupId, 0n)) if (m.version.case === 'v1' && !m.version.value.isCommit) n++;
  return n;
}

async function rejection(p: Promise<unknown>): Promise<XmtpError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(XmtpError);
  return error as XmtpError;
}

describe('outbox: send intents', () => {
  test('a message sent while the node is down is kept, then sent once by the next sync when it is back', async () => {
    const { alice, bob, groupId } = await pair();
    await sendText(alice, { groupId, text: 'before' });
    await node.close();
    try {
      const error = await rejection(sendText(alice, { groupId, text: 'while down' }));
      expect(error).toMatchObject({ code: OutboxErrorCodes.notSentYet, retryable: true });
      expect(await texts(alice, groupId)).toEqual([
        ['before', 'published'],
        ['while down', 'unpublished'],
      ]);
      // A second try while still down keeps the order.
      await rejection(sendText(alice, { groupId, text: 'still down' }));
    } finally {
      node = await startNode({ db: dbFile, port });
    }
    const sync = await syncGroup(alice, { groupId });
    expect(sync.outbox).toMatchObject({ pending: 0, failed: [] });
    expect(sync.outbox.published).toHaveLength(2);
    expect(await texts(alice, groupId)).toEqual([
      ['before', 'published'],
      ['while down', 'published'],
      ['still down', 'published'],
    ]);
    await syncGroup(bob, { groupId });
    expect(await texts(bob, groupId)).toEqual([
      ['before', 'published'],
      ['while down', 'published'],
      ['still down', 'published'],
    ]);
    expect(await nodeApplicationMessages(groupId)).toBe(3);
    // Nothing is sent again.
    expect((await syncGroup(alice, { groupId })).outbox.published).toEqual([]);
    expect(await nodeApplicationMessages(groupId)).toBe(3);
  });

  test('killed before the node has it: the reopened client sends it once', async () => {
    const { alice, aliceStore, bob, groupId } = await pair();
    const dying = await openClient({
      api: killedBeforeSend(api, () => Promise.reject(new Error('worker killed'))),
      store: aliceStore,
    });
    await rejection(sendText(dying, { groupId, text: 'never lost' }));
    expect(await nodeApplicationMessages(groupId)).toBe(0);
    const reopened = await openClient({ api, store: aliceStore });
    expect((await syncGroup(reopened, { groupId })).outbox.published).toHaveLength(1);
    await syncGroup(bob, { groupId });
    expect(await texts(bob, groupId)).toEqual([['never lost', 'published']]);
    expect(await nodeApplicationMessages(groupId)).toBe(1);
    expect(alice.inboxId).toBe(reopened.inboxId);
  });

  test('killed after the node has it but before it is marked: the reopened client recognises it and does not send it again', async () => {
    const { aliceStore, bob, groupId } = await pair();
    const dying = await openClient({
      api: withSend(api, async (request) => {
        await api.mls.sendGroupMessages(request);
        throw new Error('worker killed');
      }),
      store: aliceStore,
    });
    await rejection(sendText(dying, { groupId, text: 'exactly once' }));
    expect(await nodeApplicationMessages(groupId)).toBe(1);
    const reopened = await openClient({ api, store: aliceStore });
    const sync = await syncGroup(reopened, { groupId });
    expect(sync.outbox).toMatchObject({ published: [], pending: 0 });
    expect(await texts(reopened, groupId)).toEqual([['exactly once', 'published']]);
    await syncGroup(bob, { groupId });
    expect(await texts(bob, groupId)).toEqual([['exactly once', 'published']]);
    expect(await nodeApplicationMessages(groupId)).toBe(1);
  });

  test('a message that waited across an epoch change is re-encrypted in the new epoch with the same message id', async () => {
    const aliceStore = createMemoryStore();
    const alice = await createClient({ api, store: aliceStore, identity: newWallet() });
    const bob = await createClient({ api, store: createMemoryStore(), identity: newWallet() });
    const group = await createGroup(alice, { name: 'before', memberInboxIds: [bob.inboxId] });
    await syncWelcomes(bob);
    const groupId = group.groupId;
    // Built in epoch 1 (the payload is stored), then the send dies.
    const dying = await openClient({ api: killedBeforeSend(api, () => Promise.reject(new ConnectError('down', Code.Unavailable))), store: aliceStore });
    await rejection(sendText(dying, { groupId, text: 'across epochs' }));
    const [waiting] = await aliceStore.list<{ epoch?: bigint }>(ConversationTables.outbox);
    expect(waiting?.value.epoch).toBe(1n);
    // Bob renames the group: epoch 2.
    await updateGroupName(bob, { groupId, name: 'after' });
    const reopened = await openClient({ api, store: aliceStore });
    const sync = await syncGroup(reopened, { groupId });
    expect(sync.commits).toBe(1);
    expect(sync.outbox.published).toHaveLength(1);
    expect((await loadGroup(aliceStore, groupId)).state.groupContext.epoch).toBe(2n);
    await syncGroup(bob, { groupId });
    const [sent] = (await listMessages(reopened, { groupId })).filter((m) => m.content === 'across epochs');
    const [got] = (await listMessages(bob, { groupId })).filter((m) => m.content === 'across epochs');
    expect(got?.id).toBe(sent?.id);
    expect(got?.senderInboxId).toBe(alice.inboxId);
    expect(await nodeApplicationMessages(groupId)).toBe(1);
    // The node's copy is the epoch-2 encryption, not the stale epoch-1 one.
    const epochs: bigint[] = [];
    for await (const m of queryGroupMessagesAfter(api, groupId, 0n)) {
      if (m.version.case !== 'v1' || m.version.value.isCommit) continue;
      const framed = decode(mlsMessageDecoder, m.version.value.data);
      if (framed?.wireformat === wireformats.mls_private_message) epochs.push(framed.privateMessage.epoch);
    }
    expect(epochs).toEqual([2n]);
  });

  test('a message the node refuses for good is failed and leaves the outbox; the next message still goes', async () => {
    const { aliceStore, bob, groupId } = await pair();
    const refusing = await openClient({ api: withSend(api, () => Promise.reject(new ConnectError('bad', Code.InvalidArgument))), store: aliceStore });
    const error = await rejection(sendText(refusing, { groupId, text: 'refused' }));
    expect(error).toMatchObject({ code: OutboxErrorCodes.refused, retryable: false });
    expect(await aliceStore.list(ConversationTables.outbox)).toEqual([]);
    const alice = await openClient({ api, store: aliceStore });
    await sendText(alice, { groupId, text: 'next' });
    expect(await texts(alice, groupId)).toEqual([
      ['refused', 'failed'],
      ['next', 'published'],
    ]);
    await syncGroup(bob, { groupId });
    expect(await texts(bob, groupId)).toEqual([['next', 'published']]);
  });

  test(`a node-side error (overload) fails the message after ${MAX_SEND_ATTEMPTS} syncs; a network failure never does`, async () => {
    const { aliceStore, groupId } = await pair();
    const overloaded = await openClient({ api: withSend(api, () => Promise.reject(new ConnectError('busy', Code.ResourceExhausted))), store: aliceStore });
    await rejection(sendText(overloaded, { groupId, text: 'overload' }));
    for (let i = 1; i < MAX_SEND_ATTEMPTS - 1; i++) expect((await syncGroup(overloaded, { groupId })).outbox.pending).toBe(1);
    expect((await syncGroup(overloaded, { groupId })).outbox.failed).toHaveLength(1);

    const offline = await openClient({ api: withSend(api, () => Promise.reject(new ConnectError('down', Code.Unavailable))), store: aliceStore });
    await rejection(sendText(offline, { groupId, text: 'offline' }));
    for (let i = 0; i < MAX_SEND_ATTEMPTS + 2; i++) expect((await syncGroup(offline, { groupId })).outbox.pending).toBe(1);
    expect(await texts(offline, groupId)).toEqual([
      ['overload', 'failed'],
      ['offline', 'unpublished'],
    ]);
  });

  test('the same message delivered twice (re-published, re-encrypted) is stored once', async () => {
    const { alice, aliceStore, bob, groupId } = await pair();
    const first = await sendText(alice, { groupId, text: 'once' });
    // The sender re-publishes the same envelope in a new MLS message, as after a lost acknowledgement.
    const { record, state } = await loadGroup(aliceStore, groupId);
    const plaintext = encodePlaintextEnvelope({ content: encodeContent(textCodec, 'once').bytes, idempotencyKey: idempotencyKeyFor(first.sentAtNs) });
    const { newState, message } = await createApplicationMessage({ context: alice.mls, state, message: plaintext });
    await saveGroup(aliceStore, record, newState);
    const data = encode(mlsMessageEncoder, message);
    const nowNs = alice.clock.nowNs();
    await api.mls.sendGroupMessages({ messages: [{ version: { case: 'v1', value: { data, senderHmac: senderHmac({ hmacRootKey: alice.hmacRootKey, groupId, data, nowNs }), shouldPush: true } } }] });
    expect(await nodeApplicationMessages(groupId)).toBe(2);
    await syncGroup(bob, { groupId });
    const got = (await listMessages(bob, { groupId })).filter((m) => m.content === 'once');
    expect(got.map((m) => m.id)).toEqual([first.messageId]);
  });
});
