// DM stitching against REAL libxmtp 1.10 (@xmtp/node-sdk 6.0.0) through our node: a libxmtp user
// DMs us and we, before syncing, create our own DM to them — two DM groups between the same two
// inboxes. Both clients list ONE DM with the messages of both groups, in the same order.
// Run: npx vitest run --config vitest.interop.config.ts interop/dm-stitching.interop.test.ts
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type XmtpClient } from '../src/protocol/client.js';
import { createDm } from '../src/protocol/conversations/create-dm.js';
import { listConversations } from '../src/protocol/conversations/list-conversations.js';
import { listMessages } from '../src/protocol/conversations/list-messages.js';
import { sendText } from '../src/protocol/conversations/send-text.js';
import { syncAll } from '../src/protocol/conversations/sync-all.js';
import { createXmtpApi } from '../src/protocol/delivery/create-xmtp-api.js';
import { createMemoryStore } from '../src/protocol/storage/memory-store.js';
import { newWallet } from '../src/protocol/test-support/identity-builder.js';
import { createPeer, ensureLibxmtpRuntime, interopTmpDir, type NodeProcess, type Peer, type PeerIdentity, startNodeProcess } from './harness.js';

let node: NodeProcess;
let lx: Peer;
let idLx: PeerIdentity;
let ours: XmtpClient;

beforeAll(async () => {
  await ensureLibxmtpRuntime();
  node = await startNodeProcess({ db: path.join(interopTmpDir(), 'dm-stitching.sqlite') });
  lx = createPeer('stitch-libxmtp', node.url);
  idLx = await lx.init();
  ours = await createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet() });
});
afterAll(async () => {
  await node?.stop();
});

describe('DM stitching with libxmtp', () => {
  it('two DM groups between us and a libxmtp user are one conversation on both sides', async () => {
    const theirs = await lx.dm(ours.inboxId, 'from libxmtp, in its DM');
    const mine = await createDm(ours, { peerInboxId: idLx.inboxId }); // we have not synced: a second DM
    expect(mine.created).toBe(true);
    expect(mine.id).not.toBe(theirs.conversationId);
    await sendText(ours, { groupId: mine.groupId, text: 'from us, in ours' });

    const synced = await syncAll(ours);
    expect(synced.joined).toEqual([theirs.conversationId]);
    const dms = (await listConversations(ours)).filter((c) => c.kind === 'dm');
    expect(dms).toHaveLength(1);
    expect(dms[0]?.duplicateDmIds).toHaveLength(1);
    const ourView = (await listMessages(ours, { groupId: dms[0]!.groupId })).map((m) => [m.senderInboxId, m.content]);
    expect(ourView).toEqual([
      [idLx.inboxId, 'from libxmtp, in its DM'],
      [ours.inboxId, 'from us, in ours'],
    ]);

    // libxmtp: one DM with us, and it shows both messages in the same order
    const lxDms = (await lx.list({ sync: true })).filter((c) => c.type === 'dm');
    expect(lxDms).toHaveLength(1);
    expect(lxDms[0]?.peerInboxId).toBe(ours.inboxId);
    const lxView = (await lx.messages(lxDms[0]!.id, { sync: true })).filter((m) => m.kind === 'Application').map((m) => [m.senderInboxId, m.content]);
    expect(lxView).toEqual(ourView);

    // a reply from libxmtp lands in whichever group it shows; we show it in the same conversation
    await lx.send(lxDms[0]!.id, 'one conversation');
    await syncAll(ours);
    const after = (await listConversations(ours)).filter((c) => c.kind === 'dm');
    expect(after).toHaveLength(1);
    expect((await listMessages(ours, { groupId: after[0]!.groupId })).map((m) => m.content).at(-1)).toBe('one conversation');
  });
});
