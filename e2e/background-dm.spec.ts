// The conversation engine inside the extension's service worker: the background registers an inbox
// on our local node and exchanges DMs both ways with REAL libxmtp clients (@xmtp/node-sdk 6.0.0),
// through the popup channel only (keys never leave the background). The service worker is stopped
// mid-test, so group state, cursors and messages must come back from chrome.storage.local.
// The node runs in this Playwright process.
import { startNode, type RunningNode } from '../server/node.js';
import { createPeer, ensureLibxmtpRuntime, removeInteropTmpDir } from '../interop/harness.js';
import type { ConversationInfo, IdentitySummary, MessageInfo } from '../src/messaging/popup-protocol.js';
import { expect, sendToBackground as send, stopServiceWorkers, test } from './fixtures.js';
import type { Page } from '@playwright/test';

let node: RunningNode;

test.beforeAll(async () => {
  // The first run installs the libxmtp runtime (Node 22 + @xmtp/node-sdk) into .libxmtp/: minutes.
  test.setTimeout(20 * 60_000);
  await ensureLibxmtpRuntime();
  node = await startNode({ db: ':memory:' });
});

test.afterAll(async () => {
  await node?.close();
  removeInteropTmpDir();
});


/** A successful answer's result (fails the test, with the error, otherwise). */
async function call<T>(page: Page, method: string, params: unknown = {}): Promise<T> {
  const answer = await send(page, method, params);
  expect(answer, `${method}: ${JSON.stringify(answer)}`).toMatchObject({ ok: true });
  return (answer as { result: T }).result;
}

const timings: Record<string, number> = {};
async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await work();
  } finally {
    timings[label] = Date.now() - t0;
  }
}

const MESSAGE_KEYS = ['contentType', 'conversationId', 'id', 'senderInboxId', 'sentAtNs', 'text'];

test('the background exchanges DMs both ways with libxmtp clients, across a worker restart', async ({ context, openPopup }) => {
  test.setTimeout(300_000);
  const popup = await openPopup();
  const me = await timed('identity.create', () => call<IdentitySummary>(popup, 'identity.create', { network: node.url }));

  // 1. A libxmtp client DMs our address; the background syncs and sees it from the peer's inbox.
  const alice = createPeer('e2e-dm-alice', node.url);
  const aliceId = await timed('libxmtp init (alice)', () => alice.init());
  const dmIn = await timed('libxmtp dm → us', () => alice.dm(me.address, 'hello extension'));
  expect(dmIn.peerInboxId).toBe(me.inboxId);

  const synced = await timed('conversations.sync (welcome)', () => call<{ joined: number; conversations: number; messages: number }>(popup, 'conversations.sync'));
  expect(synced).toMatchObject({ joined: 1, conversations: 1 });
  const listed = await call<ConversationInfo[]>(popup, 'conversations.list');
  expect(listed).toEqual([expect.objectContaining({ id: dmIn.conversationId, kind: 'dm', peerInboxId: aliceId.inboxId, isActive: true })]);
  expect(listed[0]?.memberInboxIds).toEqual([aliceId.inboxId, me.inboxId].sort());
  const inbound = await call<MessageInfo[]>(popup, 'messages.list', { conversationId: dmIn.conversationId });
  const hello = inbound.find((m) => m.text === 'hello extension');
  expect(hello, JSON.stringify(inbound)).toMatchObject({
    id: dmIn.messageId,
    conversationId: dmIn.conversationId,
    senderInboxId: aliceId.inboxId,
    contentType: 'xmtp.org/text:1.0',
  });
  // ids, sender, content type and text only
  for (const m of inbound) expect(Object.keys(m).sort()).toEqual(MESSAGE_KEYS);

  // The worker stops (as Chrome's idle timeout would); the next request starts a fresh one, which
  // must find the group state, its cursor and the messages in chrome.storage.local.
  const before = await call<{ instanceId: string }>(popup, 'app.status');
  await stopServiceWorkers(context);
  const after = await call<{ instanceId: string }>(popup, 'app.status');
  expect(after.instanceId).not.toBe(before.instanceId);
  expect(await call<ConversationInfo[]>(popup, 'conversations.list')).toEqual(listed);
  expect(await call<MessageInfo[]>(popup, 'messages.list', { conversationId: dmIn.conversationId })).toEqual(inbound);
  // a re-sync after the restart neither rejoins nor re-receives anything
  expect(await call(popup, 'conversations.sync')).toMatchObject({ joined: 0, conversations: 1, messages: 0 });

  // 2. The (restarted) background replies; libxmtp receives it from our inbox.
  const reply = await timed('messages.send (reply)', () =>
    call<{ messageId: string }>(popup, 'messages.send', { conversationId: dmIn.conversationId, text: 'hello back from the extension' }),
  );
  expect(reply.messageId).toMatch(/^[0-9a-f]{64}$/);
  const got = await timed('libxmtp wait-message (alice)', () => alice.waitMessage(dmIn.conversationId, 'hello back from the extension', 60));
  expect(got.message).toMatchObject({ id: reply.messageId, senderInboxId: me.inboxId, contentType: 'xmtp.org/text:1.0' });

  // 3. The reverse: the background opens a DM to a second libxmtp client by address and sends.
  const bob = createPeer('e2e-dm-bob', node.url);
  const bobId = await timed('libxmtp init (bob)', () => bob.init());
  const dmOut = await timed('conversations.dm', () => call<{ conversationId: string; created: boolean }>(popup, 'conversations.dm', { peer: bobId.address }));
  expect(dmOut.created).toBe(true);
  // the same peer by inbox id is the same DM
  expect(await call(popup, 'conversations.dm', { peer: bobId.inboxId })).toEqual({ conversationId: dmOut.conversationId, created: false });
  const first = await timed('messages.send (first)', () =>
    call<{ messageId: string }>(popup, 'messages.send', { conversationId: dmOut.conversationId, text: 'hi bob, from the extension' }),
  );
  const bobGot = await timed('libxmtp wait-message (bob)', () => bob.waitMessage('any', 'hi bob, from the extension', 60));
  expect(bobGot.message).toMatchObject({ id: first.messageId, conversationId: dmOut.conversationId, senderInboxId: me.inboxId });

  // bob replies; the background sees it from bob's inbox, in order after ours.
  const bobReply = await bob.send(dmOut.conversationId, 'hi extension, bob here');
  expect(await timed('conversations.sync (reply)', () => call(popup, 'conversations.sync'))).toMatchObject({ joined: 0, conversations: 2 });
  const outbound = await call<MessageInfo[]>(popup, 'messages.list', { conversationId: dmOut.conversationId });
  const texts = outbound.filter((m) => m.contentType === 'xmtp.org/text:1.0');
  expect(texts.map((m) => [m.senderInboxId, m.text])).toEqual([
    [me.inboxId, 'hi bob, from the extension'],
    [bobId.inboxId, 'hi extension, bob here'],
  ]);
  expect(texts[1]?.id).toBe(bobReply.messageId);
  console.log(`background DM e2e timings (ms): ${JSON.stringify(timings)}`);
});

test('conversation methods: typed errors before an identity and for bad params', async ({ openPopup }) => {
  const popup = await openPopup();
  expect(await send(popup, 'conversations.list', {})).toMatchObject({ ok: false, error: { code: 'identity.not_found' } });
  expect(await send(popup, 'conversations.dm', { peer: 'bob' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  expect(await send(popup, 'messages.send', { conversationId: 'ab', text: '' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  expect(await send(popup, 'messages.list', { conversationId: 'ab', privateKey: '0x01' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
});
