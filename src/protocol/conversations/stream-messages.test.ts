// streamMessages between OUR clients through a real node: conversations joined while streaming
// (DM and group, via the welcome stream), order and senders, our own messages not echoed, each
// message once, and a node restart in the middle (the streams reconnect from the stored cursors).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient, type XmtpClient } from '../client.js';
import { createXmtpApi } from '../delivery/create-xmtp-api.js';
import type { XmtpError } from '../errors.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { newWallet } from '../test-support/identity-builder.js';
import { createDm } from './create-dm.js';
import { createGroup } from './create-group.js';
import type { DecodedMessage } from './list-messages.js';
import { OutboxErrorCodes } from './outbox.js';
import { sendText } from './send-text.js';
import { syncGroup } from './sync-group.js';
import { streamMessages } from './stream-messages.js';

let dir: string;
let node: RunningNode;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'stream-'));
  node = await startNode({ db: path.join(dir, 'node.sqlite') });
});
afterAll(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

const newClient = () => createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet() });

/** Reads the stream in the background; `until(n)` waits for n messages (or fails after 15 s). */
function collect(client: XmtpClient, opts: { reconnectDelayMs?: number } = {}) {
  const controller = new AbortController();
  const messages: DecodedMessage[] = [];
  const errors: XmtpError[] = [];
  const done = (async () => {
    for await (const m of streamMessages(client, { signal: controller.signal, onError: (e) => errors.push(e), ...opts })) messages.push(m);
  })();
  return {
    messages,
    errors,
    async until(n: number): Promise<[string, unknown][]> {
      const deadline = Date.now() + 15_000;
      while (messages.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return messages.map((m) => [m.senderInboxId, m.content]);
    },
    async stop(): Promise<void> {
      controller.abort();
      await done;
    },
  };
}

describe('streamMessages', () => {
  test('default: conversations joined while streaming deliver their messages in order, once, without our own', async () => {
    const [alice, bob, carol] = await Promise.all([newClient(), newClient(), newClient()]);
    const stream = collect(bob);
    try {
      const dm = await createDm(alice, { peerInboxId: bob.inboxId });
      await sendText(alice, { groupId: dm.groupId, text: 'one' });
      await sendText(alice, { groupId: dm.groupId, text: 'two' });
      expect(await stream.until(2)).toEqual([
        [alice.inboxId, 'one'],
        [alice.inboxId, 'two'],
      ]);
      await sendText(bob, { groupId: dm.groupId, text: 'mine' });
      const group = await createGroup(carol, { name: 'g', memberInboxIds: [alice.inboxId, bob.inboxId] });
      await sendText(carol, { groupId: group.groupId, text: 'g1' });
      await sendText(alice, { groupId: dm.groupId, text: 'three' });
      const got = await stream.until(4);
      expect(got.slice(2).sort()).toEqual(
        [
          [carol.inboxId, 'g1'],
          [alice.inboxId, 'three'],
        ].sort(),
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(stream.messages).toHaveLength(4);
      expect(new Set(stream.messages.map((m) => m.id)).size).toBe(4);
    } finally {
      await stream.stop();
    }
  });

  test('a node restart in the middle: the stream reconnects and delivers what was sent after it', async () => {
    const [alice, bob] = await Promise.all([newClient(), newClient()]);
    const dm = await createDm(alice, { peerInboxId: bob.inboxId });
    const stream = collect(bob, { reconnectDelayMs: 50 });
    try {
      await sendText(alice, { groupId: dm.groupId, text: 'before' });
      expect(await stream.until(1)).toEqual([[alice.inboxId, 'before']]);
      const { port } = node;
      await node.close();
      node = await startNode({ db: path.join(dir, 'node.sqlite'), port });
      // Alice's first request may meet a keep-alive socket of the old node; the message then
      // waits in her outbox for her next sync.
      await sendText(alice, { groupId: dm.groupId, text: 'after' }).catch(async (e: XmtpError) => {
        expect(e.code).toBe(OutboxErrorCodes.notSentYet);
        expect((await syncGroup(alice, { groupId: dm.groupId })).outbox.published).toHaveLength(1);
      });
      expect(await stream.until(2)).toEqual([
        [alice.inboxId, 'before'],
        [alice.inboxId, 'after'],
      ]);
      expect(stream.errors.length).toBeGreaterThan(0);
    } finally {
      await stream.stop();
    }
  });
});
