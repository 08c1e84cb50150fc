// Group interop with REAL libxmtp 1.10 (@xmtp/node-sdk 6.0.0) through our node, driving OUR client's
// conversation actions (src/protocol/conversations) in this process:
//  (a) OUR group with two libxmtp members (X-Wing welcomes): all three exchange text; libxmtp replies
//      and reacts to our message and we read both with the right reference; we reply and react to
//      theirs and they see it; we rename the group and both see the name; we add a third libxmtp
//      peer and remove one — membership seen by all, the removed one goes inactive;
//  (b) a libxmtp group with our client as a member: we join from the welcome, read, send; text,
//      reply and reaction flow every way; libxmtp renames it and we see the name (GroupUpdated).
// Content, sender inbox id and order are checked on both sides.
// Run: npx vitest run --config vitest.interop.config.ts interop/group.interop.test.ts
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WelcomeWrapperAlgorithm } from '../src/gen/mls/message_contents/wrapper_encryption_pb.js';
import { createClient, type XmtpClient } from '../src/protocol/client.js';
import type { GroupUpdated } from '../src/protocol/content/group-updated-codec.js';
import type { Reaction } from '../src/protocol/content/reaction-codec.js';
import type { Reply } from '../src/protocol/content/reply-codec.js';
import { createGroup } from '../src/protocol/conversations/create-group.js';
import { listConversations } from '../src/protocol/conversations/list-conversations.js';
import { listMessages, type DecodedMessage } from '../src/protocol/conversations/list-messages.js';
import { sendReaction, sendReply } from '../src/protocol/conversations/send-reply.js';
import { sendText } from '../src/protocol/conversations/send-text.js';
import { syncGroup } from '../src/protocol/conversations/sync-group.js';
import { syncWelcomes } from '../src/protocol/conversations/sync-welcomes.js';
import { addMembers, removeMembers, updateGroupName } from '../src/protocol/conversations/update-group.js';
import { createXmtpApi } from '../src/protocol/delivery/create-xmtp-api.js';
import { createMemoryStore } from '../src/protocol/storage/memory-store.js';
import { newWallet } from '../src/protocol/test-support/identity-builder.js';
import { createPeer, ensureLibxmtpRuntime, interopTmpDir, type MessageInfo, type NodeProcess, type Peer, type PeerIdentity, startNodeProcess } from './harness.js';

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

const TEXT = 'xmtp.org/text:1.0';
const REPLY = 'xmtp.org/reply:1.0';
const REACTION = 'xmtp.org/reaction:2.0';
const GROUP_UPDATED = 'xmtp.org/group_updated:1.0';

let node: NodeProcess;
let lxA: Peer;
let lxB: Peer;
let lxC: Peer;
let idA: PeerIdentity;
let idB: PeerIdentity;
let idC: PeerIdentity;
let ours: XmtpClient;

beforeAll(async () => {
  await ensureLibxmtpRuntime();
  node = await startNodeProcess({ db: path.join(interopTmpDir(), 'group.sqlite') });
  lxA = createPeer('group-libxmtp-a', node.url);
  lxB = createPeer('group-libxmtp-b', node.url);
  lxC = createPeer('group-libxmtp-c', node.url);
  [idA, idB, idC] = await Promise.all([lxA.init(), lxB.init(), lxC.init()]);
  ours = await createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet() });
});
afterAll(async () => {
  console.log('timings (ms):', timings);
  await node?.stop();
});

const ourMessages = async (groupId: Uint8Array): Promise<DecodedMessage[]> => listMessages(ours, { groupId });
/** [sender, contentType, text] of text and reply messages (libxmtp lists reactions under their target). */
const ourTextual = async (groupId: Uint8Array) =>
  (await ourMessages(groupId)).filter((m) => m.contentType === TEXT || m.contentType === REPLY).map((m) => [m.senderInboxId, m.contentType, textOf(m)]);
const textOf = (m: DecodedMessage): string => (m.contentType === REPLY ? replyText(m.content as Reply) : String(m.content));
const replyText = (r: Reply): string => new TextDecoder().decode(r.content.content);
const peerTextual = (messages: MessageInfo[]) =>
  messages.filter((m) => m.kind === 'Application' && (m.contentType === TEXT || m.contentType === REPLY)).map((m) => [m.senderInboxId, m.contentType, m.text]);
/** The reference of a libxmtp reply as the peer prints it (EnrichedReply: inReplyTo / referenceId). */
const peerReplyReference = (m: MessageInfo): string | undefined => {
  const c = m.content as { referenceId?: string; reference?: string; inReplyTo?: { id?: string } | null } | null;
  return c?.referenceId ?? c?.reference ?? c?.inReplyTo?.id ?? undefined;
};
/** Reactions libxmtp shows: attached to their target, or listed as messages of their own. */
const peerReactions = (messages: MessageInfo[]) => [
  ...messages.flatMap((m) => m.reactions.map((r) => ({ target: m.id, senderInboxId: r.senderInboxId, content: r.content }))),
  ...messages
    .filter((m) => m.contentType === REACTION)
    .map((m) => {
      const c = m.content as { reference?: string; content?: string };
      return { target: c.reference, senderInboxId: m.senderInboxId, content: c.content };
    }),
];

describe('groups between our client and libxmtp', () => {
  let groupId: Uint8Array;
  let gid: string;

  it('(a1) we create a group with two libxmtp members; all three exchange text in order', async () => {
    const group = await timed('ours: createGroup (2 libxmtp members, X-Wing welcomes)', () =>
      createGroup(ours, { name: 'ts group', description: 'made by ts', memberInboxIds: [idA.inboxId, idB.inboxId] }),
    );
    groupId = group.groupId;
    gid = group.id;
    expect(group.addedInstallations.sort()).toEqual([idA.installationId, idB.installationId].sort());
    expect(group.failedInstallations).toEqual([]);
    for (const id of [idA, idB]) {
      const { messages } = await ours.api.mls.queryWelcomeMessages({ installationKey: fromHex(id.installationId), pagingInfo: { limit: 10 } });
      expect(messages.map((w) => (w.version.case === 'v1' ? w.version.value.wrapperAlgorithm : undefined))).toEqual([WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6]);
    }

    await sendText(ours, { groupId, text: 'hello group from ts' });
    const [gotA, gotB] = await timed('libxmtp: join + wait-message x2 (processes)', () =>
      Promise.all([lxA.waitMessage(gid, 'hello group from ts', 60), lxB.waitMessage(gid, 'hello group from ts', 60)]),
    );
    for (const got of [gotA, gotB]) expect(got.message).toMatchObject({ senderInboxId: ours.inboxId, contentType: TEXT, content: 'hello group from ts', conversationId: gid });
    const convA = (await lxA.list()).find((c) => c.id === gid);
    expect(convA).toMatchObject({ type: 'group', name: 'ts group', description: 'made by ts', isActive: true, superAdmins: [ours.inboxId] });
    expect(convA?.members.map((m) => m.inboxId).sort()).toEqual([ours.inboxId, idA.inboxId, idB.inboxId].sort());

    await lxA.send(gid, 'hi from A');
    await lxB.waitMessage(gid, 'hi from A', 60);
    await lxB.send(gid, 'hi from B');
    await lxA.waitMessage(gid, 'hi from B', 60);
    const sync = await timed('ours: syncGroup (KeyUpdate commits + 2 messages)', () => syncGroup(ours, { groupId }));
    expect(sync.skipped).toEqual([]);
    const expected = [
      [ours.inboxId, TEXT, 'hello group from ts'],
      [idA.inboxId, TEXT, 'hi from A'],
      [idB.inboxId, TEXT, 'hi from B'],
    ];
    expect(await ourTextual(groupId)).toEqual(expected);
    expect(peerTextual(await lxA.messages(gid, { sync: true }))).toEqual(expected);
    expect(peerTextual(await lxB.messages(gid, { sync: true }))).toEqual(expected);
    // the same message ids on both sides
    const lxIds = (await lxA.messages(gid)).filter((m) => m.contentType === TEXT).map((m) => m.id);
    expect((await ourMessages(groupId)).filter((m) => m.contentType === TEXT).map((m) => m.id)).toEqual(lxIds);
  });

  it('(a2) libxmtp replies and reacts to our message; we reply and react to theirs', async () => {
    const mine = (await ourMessages(groupId)).find((m) => m.content === 'hello group from ts')!;
    await lxA.reply(gid, mine.id, 'A replies to ts');
    await lxA.react(gid, mine.id, '👍');
    await syncGroup(ours, { groupId });
    const msgs = await ourMessages(groupId);
    const reply = msgs.find((m) => m.contentType === REPLY);
    expect(reply?.senderInboxId).toBe(idA.inboxId);
    expect(reply?.content).toMatchObject({ reference: mine.id, referenceInboxId: ours.inboxId });
    expect(replyText(reply!.content as Reply)).toBe('A replies to ts');
    const reaction = msgs.find((m) => m.contentType === REACTION);
    expect(reaction?.senderInboxId).toBe(idA.inboxId);
    expect(reaction?.content).toMatchObject({ reference: mine.id, referenceInboxId: ours.inboxId, content: '👍' } satisfies Partial<Reaction>);

    const fromB = msgs.find((m) => m.content === 'hi from B')!;
    await sendReply(ours, { groupId, messageId: fromB.id, text: 'ts replies to B' });
    await sendReaction(ours, { groupId, messageId: fromB.id, emoji: '🎉' });
    const got = await lxB.waitMessage(gid, 'ts replies to B', 60);
    expect(got.message).toMatchObject({ senderInboxId: ours.inboxId, contentType: REPLY });
    expect(peerReplyReference(got.message)).toBe(fromB.id);
    const lxBMessages = await lxB.messages(gid, { sync: true });
    expect(peerReactions(lxBMessages)).toContainEqual({ target: fromB.id, senderInboxId: ours.inboxId, content: '🎉' });
    expect(peerReactions(lxBMessages)).toContainEqual({ target: mine.id, senderInboxId: idA.inboxId, content: '👍' });
    const lxAReply = (await lxA.messages(gid, { sync: true })).find((m) => m.contentType === REPLY && m.senderInboxId === ours.inboxId);
    expect(peerReplyReference(lxAReply!)).toBe(fromB.id);

    const expected = [
      [ours.inboxId, TEXT, 'hello group from ts'],
      [idA.inboxId, TEXT, 'hi from A'],
      [idB.inboxId, TEXT, 'hi from B'],
      [idA.inboxId, REPLY, 'A replies to ts'],
      [ours.inboxId, REPLY, 'ts replies to B'],
    ];
    expect(await ourTextual(groupId)).toEqual(expected);
    expect(peerTextual(lxBMessages)).toEqual(expected);
  });

  it('(a3) we rename the group: both libxmtp members see the new name', async () => {
    await timed('ours: updateGroupName (GCE commit)', () => updateGroupName(ours, { groupId, name: 'ts group renamed' }));
    const [listA, listB] = await Promise.all([lxA.list({ sync: true }), lxB.list({ sync: true })]);
    for (const list of [listA, listB]) expect(list.find((c) => c.id === gid)).toMatchObject({ name: 'ts group renamed', description: 'made by ts', isActive: true });
    // libxmtp's transcript of our commit
    const update = (await lxA.messages(gid)).filter((m) => m.contentType === GROUP_UPDATED).at(-1);
    expect(update).toMatchObject({ senderInboxId: ours.inboxId });
    expect(update?.content).toMatchObject({ metadataFieldChanges: [{ fieldName: 'group_name', oldValue: 'ts group', newValue: 'ts group renamed' }] });
    expect((await listConversations(ours)).find((c) => c.id === gid)?.name).toBe('ts group renamed');
  });

  it('(a4) we add a third libxmtp member and remove one: membership seen by all; the removed one goes inactive', async () => {
    const added = await timed('ours: addMembers (1 libxmtp inbox)', () => addMembers(ours, { groupId, inboxIds: [idC.inboxId] }));
    expect(added.addedInstallations).toEqual([idC.installationId]);
    const got = await lxC.list({ sync: true });
    expect(got.find((c) => c.id === gid)).toMatchObject({ name: 'ts group renamed', isActive: true });
    const removed = await timed('ours: removeMembers (1 libxmtp inbox)', () => removeMembers(ours, { groupId, inboxIds: [idB.inboxId] }));
    expect(removed.removedInstallations).toEqual([idB.installationId]);

    const members = [ours.inboxId, idA.inboxId, idC.inboxId].sort();
    expect((await lxA.members(gid, { sync: true })).map((m) => m.inboxId).sort()).toEqual(members);
    expect((await lxC.members(gid, { sync: true })).map((m) => m.inboxId).sort()).toEqual(members);
    expect((await listConversations(ours)).find((c) => c.id === gid)?.memberInboxIds).toEqual(members);
    expect((await lxB.list({ sync: true })).find((c) => c.id === gid)?.isActive).toBe(false);
    const lxUpdates = (await lxA.messages(gid)).filter((m) => m.contentType === GROUP_UPDATED).map((m) => m.content as { addedInboxes: { inboxId: string }[]; removedInboxes: { inboxId: string }[] });
    expect(lxUpdates.at(-2)?.addedInboxes.map((i) => i.inboxId)).toEqual([idC.inboxId]);
    expect(lxUpdates.at(-1)?.removedInboxes.map((i) => i.inboxId)).toEqual([idB.inboxId]);

    // the new member talks; the group continues without B
    await lxC.send(gid, 'C joined');
    await syncGroup(ours, { groupId });
    const last = (await ourMessages(groupId)).filter((m) => m.contentType === TEXT).at(-1);
    expect(last).toMatchObject({ senderInboxId: idC.inboxId, content: 'C joined' });
    await sendText(ours, { groupId, text: 'welcome C' });
    expect((await lxC.waitMessage(gid, 'welcome C', 60)).message.senderInboxId).toBe(ours.inboxId);
    expect((await lxA.waitMessage(gid, 'welcome C', 60)).message.senderInboxId).toBe(ours.inboxId);
    // our transcript: creation, rename, add, remove
    const ourUpdates = (await ourMessages(groupId)).filter((m) => m.contentType === GROUP_UPDATED).map((m) => m.content as GroupUpdated);
    expect(ourUpdates.at(-2)).toMatchObject({ initiatedByInboxId: ours.inboxId, addedInboxes: [idC.inboxId] });
    expect(ourUpdates.at(-1)).toMatchObject({ initiatedByInboxId: ours.inboxId, removedInboxes: [idB.inboxId] });
  });

  it('(b) libxmtp creates a group with us: we join, read, send; replies and reactions every way; its rename reaches us', async () => {
    const conv = await timed('libxmtp: group-create with us (process)', () => lxA.groupCreate('lx group', [ours.inboxId, idB.inboxId]));
    const lgid = conv.id;
    const lGroupId = fromHex(lgid);
    await lxA.send(lgid, 'hello from lx group');
    const welcomes = await timed('ours: syncWelcomes (libxmtp group)', () => syncWelcomes(ours));
    expect(welcomes.joined).toContain(lgid);
    expect(welcomes.skipped).toEqual([]);
    expect((await listConversations(ours)).find((c) => c.id === lgid)).toMatchObject({ kind: 'group', name: 'lx group', isActive: true, superAdminInboxIds: [idA.inboxId] });
    expect((await syncGroup(ours, { groupId: lGroupId })).skipped).toEqual([]);
    expect(await ourTextual(lGroupId)).toEqual([[idA.inboxId, TEXT, 'hello from lx group']]);

    const sent = await sendText(ours, { groupId: lGroupId, text: 'ts in lx group' });
    await Promise.all([lxA.waitMessage(lgid, 'ts in lx group', 60), lxB.waitMessage(lgid, 'ts in lx group', 60)]);
    await lxB.reply(lgid, sent.messageId, 'B replies to ts');
    await lxA.react(lgid, sent.messageId, '🔥');
    expect((await syncGroup(ours, { groupId: lGroupId })).skipped).toEqual([]);
    const msgs = await ourMessages(lGroupId);
    const reply = msgs.find((m) => m.contentType === REPLY)!;
    expect(reply).toMatchObject({ senderInboxId: idB.inboxId, content: { reference: sent.messageId, referenceInboxId: ours.inboxId } });
    expect(replyText(reply.content as Reply)).toBe('B replies to ts');
    expect(msgs.find((m) => m.contentType === REACTION)).toMatchObject({ senderInboxId: idA.inboxId, content: { reference: sent.messageId, content: '🔥' } });

    const first = msgs.find((m) => m.content === 'hello from lx group')!;
    await sendReply(ours, { groupId: lGroupId, messageId: first.id, text: 'ts replies to A' });
    await sendReaction(ours, { groupId: lGroupId, messageId: reply.id, emoji: '✅' });
    const got = await lxA.waitMessage(lgid, 'ts replies to A', 60);
    expect(got.message).toMatchObject({ senderInboxId: ours.inboxId, contentType: REPLY });
    expect(peerReplyReference(got.message)).toBe(first.id);
    const lxBMessages = await lxB.messages(lgid, { sync: true });
    expect(peerReactions(lxBMessages)).toContainEqual({ target: reply.id, senderInboxId: ours.inboxId, content: '✅' });
    expect(peerReactions(lxBMessages)).toContainEqual({ target: sent.messageId, senderInboxId: idA.inboxId, content: '🔥' });
    const expected = [
      [idA.inboxId, TEXT, 'hello from lx group'],
      [ours.inboxId, TEXT, 'ts in lx group'],
      [idB.inboxId, REPLY, 'B replies to ts'],
      [ours.inboxId, REPLY, 'ts replies to A'],
    ];
    expect(await ourTextual(lGroupId)).toEqual(expected);
    expect(peerTextual(lxBMessages)).toEqual(expected);
    expect(peerTextual(await lxA.messages(lgid, { sync: true }))).toEqual(expected);

    await lxA.groupRename(lgid, 'lx group renamed');
    expect((await syncGroup(ours, { groupId: lGroupId })).skipped).toEqual([]);
    expect((await listConversations(ours)).find((c) => c.id === lgid)?.name).toBe('lx group renamed');
    const update = (await ourMessages(lGroupId)).filter((m) => m.contentType === GROUP_UPDATED).at(-1);
    expect(update).toMatchObject({
      senderInboxId: idA.inboxId,
      content: { initiatedByInboxId: idA.inboxId, metadataFieldChanges: [{ fieldName: 'group_name', oldValue: 'lx group', newValue: 'lx group renamed' }] },
    });
    // and after libxmtp's commit our messages still reach it
    await sendText(ours, { groupId: lGroupId, text: 'after the rename' });
    expect((await lxB.waitMessage(lgid, 'after the rename', 60)).message.senderInboxId).toBe(ours.inboxId);
  });
});
