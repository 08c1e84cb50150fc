// Interop scenario for the local node: REAL libxmtp 1.10 clients (@xmtp/node-sdk 6.0.0, through
// interop/libxmtp-peer.mjs) register, DM, run groups (rename, add, remove, 20 members with welcome
// pointers), stream, and keep their history across a node restart on the same SQLite file.
// Every step checks content, sender inbox id and order on each side. Steps share state and run in order.
// Run: npx vitest run --config vitest.interop.config.ts
import path from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MlsApi, SortDirection } from '../src/gen/mls/api/v1/mls_pb.js';
import { copyIdentity, createPeer, ensureLibxmtpRuntime, interopTmpDir, removeInteropTmpDir, startNodeProcess } from './harness.js';
import type { ConversationInfo, GroupUpdatedContent, MessageInfo, NodeProcess, Peer, PeerIdentity } from './harness.js';

const TEXT = 'xmtp.org/text:1.0';
const REPLY = 'xmtp.org/reply:1.0';
const GROUP_UPDATED = 'xmtp.org/group_updated:1.0';
const BIG_GROUP_SIZE = 20;

let node: NodeProcess | undefined;
let dbPath = '';
const ids = new Map<string, PeerIdentity>(); // peer name -> identity
let peers: Record<string, Peer> = {};

/** (Re)creates every named peer against the current node URL; state folders persist per name. */
function peer(name: string): Peer {
  if (!node) throw new Error('node not started');
  const existing = peers[name];
  if (existing?.apiUrl === node.url) return existing;
  const p = createPeer(name, node.url);
  peers = { ...peers, [name]: p };
  return p;
}
function id(name: string): PeerIdentity {
  const i = ids.get(name);
  if (!i) throw new Error(`${name} is not registered (an earlier step failed)`);
  return i;
}
const inbox = (name: string): string => id(name).inboxId;
async function register(...names: string[]): Promise<void> {
  const results = await Promise.all(names.map((n) => peer(n).init()));
  results.forEach((r, i) => ids.set(names[i] ?? '', r));
}

/** Application messages as (id, sender, content type, text), in the peer's order. */
const app = (msgs: MessageInfo[]): { id: string; senderInboxId: string; contentType: string | null; text: string }[] =>
  msgs.filter((m) => m.kind === 'Application').map((m) => ({ id: m.id, senderInboxId: m.senderInboxId, contentType: m.contentType, text: m.text }));
const updates = (msgs: MessageInfo[]): (GroupUpdatedContent & { id: string; senderInboxId: string })[] =>
  msgs.filter((m) => m.contentType === GROUP_UPDATED).map((m) => ({ ...(m.content as GroupUpdatedContent), id: m.id, senderInboxId: m.senderInboxId }));
const memberIds = (c: { members: { inboxId: string }[] }): string[] => c.members.map((m) => m.inboxId).sort();
const sorted = (...names: string[]): string[] => names.map(inbox).sort();
function conv(list: ConversationInfo[], conversationId: string): ConversationInfo {
  const c = list.find((x) => x.id === conversationId);
  if (!c) throw new Error(`conversation ${conversationId} not in the list (${list.map((x) => x.id).join(', ')})`);
  return c;
}

/** Runs fn over items with the harness's own parallelism limit, keeping the order of results. */
const all = <T, R>(items: T[], fn: (x: T) => Promise<R>): Promise<R[]> => Promise.all(items.map(fn));

const timings: string[] = [];
let stepStart = 0;
const mark = (label: string): void => {
  const now = Date.now();
  timings.push(`${label}: ${((now - stepStart) / 1000).toFixed(1)}s`);
  stepStart = now;
};

describe('libxmtp 1.10 clients against our node', () => {
  let dmId = '';
  let teamId = '';
  let bigId = '';
  const dmMsgs: { id: string; sender: string; contentType: string; text: string }[] = [];

  beforeAll(async () => {
    stepStart = Date.now();
    await ensureLibxmtpRuntime();
    dbPath = path.join(interopTmpDir(), 'node.sqlite');
    node = await startNodeProcess({ db: dbPath });
    mark('runtime + node start');
  });

  let failed = false;
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      failed = true;
    });
  });

  afterAll(async () => {
    console.log(`interop timings:\n  ${timings.join('\n  ')}`);
    await node?.stop().catch((e: unknown) => console.error(String(e)));
    // keep the peers' state and the node's database after a failure (or with XMTP_INTEROP_KEEP=1)
    if (failed) console.log(`interop state kept in ${interopTmpDir()}`);
    else if (removeInteropTmpDir()) console.log(`interop state kept in ${interopTmpDir()}`);
  });

  it('two libxmtp clients register on the node', async () => {
    await register('alice', 'bob');
    for (const name of ['alice', 'bob']) {
      const i = id(name);
      expect(i).toMatchObject({ isRegistered: true, created: true, libxmtpVersion: '1.10.0', apiUrl: node?.url });
      expect(i.inboxId).toMatch(/^[0-9a-f]{64}$/);
      expect(i.installationId).toMatch(/^[0-9a-f]{64}$/);
      expect(i.address).toMatch(/^0x[0-9a-f]{40}$/);
    }
    expect(inbox('alice')).not.toBe(inbox('bob'));
    // a new process with the same state folder is the same, already registered client
    const again = await peer('alice').whoami();
    expect(again).toMatchObject({ inboxId: inbox('alice'), installationId: id('alice').installationId, isRegistered: true });
    // the node serves bob's inbox state (identity updates) to bob
    const st = await peer('bob').installations();
    expect(st.inboxId).toBe(inbox('bob'));
    expect(st.installations.map((x) => x.id)).toEqual([id('bob').installationId]);
    mark('register');
  });

  it('DMs both ways (by address and by inbox id), with a reply and a reaction', async () => {
    const alice = peer('alice');
    const bob = peer('bob');
    // alice → bob by Ethereum address (the node resolves it through GetInboxIds)
    const first = await alice.dm(id('bob').address, 'hello bob');
    expect(first.peerInboxId).toBe(inbox('bob'));
    dmId = first.conversationId;
    expect(dmId).toMatch(/^[0-9a-f]{32}$/);
    const got = await bob.waitMessage('any', 'hello bob');
    expect(got.message).toMatchObject({ id: first.messageId, conversationId: dmId, senderInboxId: inbox('alice'), contentType: TEXT, text: 'hello bob' });

    // bob → alice by inbox id: the same DM, not a new one
    const second = await bob.dm(inbox('alice'), 'hello alice');
    expect(second.conversationId).toBe(dmId);
    const got2 = await alice.waitMessage(dmId, 'hello alice');
    expect(got2.message).toMatchObject({ id: second.messageId, senderInboxId: inbox('bob'), text: 'hello alice' });

    const reply = await alice.reply(dmId, second.messageId, 'nice to meet you');
    const got3 = await bob.waitMessage(dmId, 'nice to meet you');
    expect(got3.message).toMatchObject({ id: reply.messageId, senderInboxId: inbox('alice'), contentType: REPLY });
    expect(got3.message.content).toMatchObject({ referenceId: second.messageId, content: 'nice to meet you', inReplyTo: { id: second.messageId, senderInboxId: inbox('bob') } });
    await bob.react(dmId, first.messageId, '👍');
    const got4 = await alice.waitMessage(dmId, '👍');
    expect(got4.message).toMatchObject({ senderInboxId: inbox('bob'), content: { content: '👍', reference: first.messageId, referenceInboxId: inbox('alice') } });

    dmMsgs.push(
      { id: first.messageId, sender: 'alice', contentType: TEXT, text: 'hello bob' },
      { id: second.messageId, sender: 'bob', contentType: TEXT, text: 'hello alice' },
      { id: reply.messageId, sender: 'alice', contentType: REPLY, text: 'nice to meet you' },
    );
    const expected = dmMsgs.map((m) => ({ id: m.id, senderInboxId: inbox(m.sender), contentType: m.contentType, text: m.text }));
    const [am, bm] = await Promise.all([alice.messages(dmId, { sync: true }), bob.messages(dmId, { sync: true })]);
    for (const msgs of [am, bm]) {
      expect(app(msgs)).toEqual(expected);
      const reacted = msgs.find((m) => m.id === first.messageId);
      expect(reacted?.reactions.map((r) => ({ sender: r.senderInboxId, action: r.action, content: r.content }))).toEqual([
        { sender: inbox('bob'), action: 'Added', content: '👍' },
      ]);
    }
    // the DM as each side lists it
    const [al, bl] = await Promise.all([alice.list(), bob.list()]);
    expect(conv(al, dmId)).toMatchObject({ type: 'dm', peerInboxId: inbox('bob'), isActive: true });
    expect(conv(bl, dmId)).toMatchObject({ type: 'dm', peerInboxId: inbox('alice'), isActive: true });
    mark('dm');
  });

  it('group of three: created, renamed (all see the name), a member added and one removed (all see the membership)', async () => {
    await register('carol', 'dave');
    const alice = peer('alice');
    const bob = peer('bob');
    const carol = peer('carol');
    const dave = peer('dave');

    const g = await alice.groupCreate('team', [inbox('bob'), id('carol').address]);
    teamId = g.id;
    expect(g).toMatchObject({ type: 'group', name: 'team', isActive: true });
    expect(memberIds(g)).toEqual(sorted('alice', 'bob', 'carol'));
    expect(g.members.find((m) => m.inboxId === inbox('alice'))?.permissionLevel).toBe('SuperAdmin');

    const hi = await alice.send(teamId, 'hi team');
    for (const w of await all([bob, carol], (p) => p.waitMessage(teamId, 'hi team')))
      expect(w.message).toMatchObject({ id: hi.messageId, conversationId: teamId, senderInboxId: inbox('alice'), text: 'hi team' });

    // a plain member renames (default policy: anyone may); everyone sees the new name
    const renamed = await bob.groupRename(teamId, 'team-2');
    expect(renamed).toEqual({ conversationId: teamId, name: 'team-2' });
    for (const list of await all([alice, bob, carol], (p) => p.list({ sync: true }))) expect(conv(list, teamId).name).toBe('team-2');

    // add dave: all four see four members, dave sees the group and its name
    const added = await alice.groupAdd(teamId, [inbox('dave')]);
    expect(memberIds(added)).toEqual(sorted('alice', 'bob', 'carol', 'dave'));
    for (const members of await all([alice, bob, carol, dave], (p) => p.members(teamId, { sync: true })))
      expect(memberIds({ members })).toEqual(sorted('alice', 'bob', 'carol', 'dave'));
    expect(conv(await dave.list(), teamId)).toMatchObject({ name: 'team-2', isActive: true });

    // remove carol: the others see three members; carol's copy becomes inactive
    const removed = await alice.groupRemove(teamId, [inbox('carol')]);
    expect(memberIds(removed)).toEqual(sorted('alice', 'bob', 'dave'));
    for (const members of await all([alice, bob, dave], (p) => p.members(teamId, { sync: true })))
      expect(memberIds({ members })).toEqual(sorted('alice', 'bob', 'dave'));
    expect(conv(await carol.list({ sync: true }), teamId).isActive).toBe(false);

    // after the change: the remaining members talk, carol no longer gets it
    const after = await dave.send(teamId, 'after the change');
    for (const w of await all([alice, bob], (p) => p.waitMessage(teamId, 'after the change')))
      expect(w.message).toMatchObject({ id: after.messageId, senderInboxId: inbox('dave') });
    await carol.sync();
    expect(app(await carol.messages(teamId)).map((m) => m.text)).toEqual(['hi team']);

    // same history, same order on every side
    const [am, bm, dm] = await all([alice, bob, dave], (p) => p.messages(teamId, { sync: true }));
    const expected = [
      { id: hi.messageId, senderInboxId: inbox('alice'), contentType: TEXT, text: 'hi team' },
      { id: after.messageId, senderInboxId: inbox('dave'), contentType: TEXT, text: 'after the change' },
    ];
    expect(app(am ?? [])).toEqual(expected);
    expect(app(bm ?? [])).toEqual(expected);
    expect(app(dm ?? [])).toEqual(expected.slice(1)); // joined after 'hi team'
    // the group updates (rename by bob, add dave, remove carol), in this order, on alice's and bob's side
    for (const msgs of [am ?? [], bm ?? []]) {
      const ups = updates(msgs);
      const rename = ups.findIndex((u) => u.metadataFieldChanges.some((c) => c.fieldName === 'group_name' && c.newValue === 'team-2'));
      const add = ups.findIndex((u) => u.addedInboxes.some((x) => x.inboxId === inbox('dave')));
      const remove = ups.findIndex((u) => u.removedInboxes.some((x) => x.inboxId === inbox('carol')));
      expect([rename, add, remove].every((i) => i >= 0)).toBe(true);
      expect(rename).toBeLessThan(add);
      expect(add).toBeLessThan(remove);
      expect(ups[rename]?.initiatedByInboxId).toBe(inbox('bob'));
      expect(ups[add]?.initiatedByInboxId).toBe(inbox('alice'));
      expect(ups[remove]?.initiatedByInboxId).toBe(inbox('alice'));
    }
    mark('group of three');
  });

  it(`group of ${BIG_GROUP_SIZE}: welcome pointers stored on the node, every member joins and reads`, async () => {
    const extra = Array.from({ length: BIG_GROUP_SIZE - 4 }, (_, i) => `member-${String(i + 5).padStart(2, '0')}`);
    await register(...extra);
    const invited = ['bob', 'carol', 'dave', ...extra];
    const alice = peer('alice');
    const big = await alice.groupCreate('twenty', invited.map(inbox));
    bigId = big.id;
    expect(big.members).toHaveLength(BIG_GROUP_SIZE);
    expect(memberIds(big)).toEqual(sorted('alice', ...invited));

    // ask the node directly (gRPC, like libxmtp): which form did each invitee's welcome take?
    const mls = createClient(MlsApi, createGrpcTransport({ baseUrl: node?.url ?? '' }));
    const forms: Record<string, number> = {};
    const newest = await all(invited, async (name) => {
      const res = await mls.queryWelcomeMessages({
        installationKey: Buffer.from(id(name).installationId, 'hex'),
        pagingInfo: { direction: SortDirection.ASCENDING, limit: 100 },
      });
      for (const w of res.messages) forms[w.version.case ?? 'none'] = (forms[w.version.case ?? 'none'] ?? 0) + 1;
      return res.messages.at(-1)?.version.case;
    });
    console.log(`welcomes stored for the ${invited.length} invitees, by form: ${JSON.stringify(forms)}; newest per invitee: ${JSON.stringify(newest)}`);
    expect(forms.welcomePointer ?? 0).toBeGreaterThanOrEqual(1);
    expect(newest.every((c) => c === 'v1' || c === 'welcomePointer')).toBe(true);

    // every invitee joins (welcome → pointee → group) and reads alice's message
    const hello = await alice.send(bigId, 'hello twenty');
    const seen = await all(invited, (name) => peer(name).waitMessage(bigId, 'hello twenty', 60));
    for (const w of seen) expect(w.message).toMatchObject({ id: hello.messageId, conversationId: bigId, senderInboxId: inbox('alice'), text: 'hello twenty' });
    // the last member sees all 20 and the group's name, and is heard by alice
    const last = peer(extra.at(-1) ?? '');
    expect(memberIds({ members: await last.members(bigId) })).toEqual(sorted('alice', ...invited));
    expect(conv(await last.list(), bigId).name).toBe('twenty');
    const answer = await last.send(bigId, 'twenty here');
    const heard = await alice.waitMessage(bigId, 'twenty here');
    expect(heard.message).toMatchObject({ id: answer.messageId, senderInboxId: inbox(last.name) });
    mark(`group of ${BIG_GROUP_SIZE}`);
  });

  it('streams deliver live messages (one conversation, and all conversations)', async () => {
    const alice = peer('alice');
    const bob = peer('bob');
    const dave = peer('dave');
    // a stream on the DM (bob) and one on all conversations (dave), both open before anything is sent
    const [dmStream, allStream] = await Promise.all([bob.stream(dmId, 1, 60), dave.stream('all', 2, 60)]);
    const live = await alice.send(dmId, 'live in the dm');
    const [m] = await dmStream.done;
    expect(m).toMatchObject({ id: live.messageId, conversationId: dmId, senderInboxId: inbox('alice'), contentType: TEXT, text: 'live in the dm' });
    dmMsgs.push({ id: live.messageId, sender: 'alice', contentType: TEXT, text: 'live in the dm' });

    const s1 = await alice.send(teamId, 'live in team');
    const s2 = await bob.send(bigId, 'live in twenty');
    const got = await allStream.done;
    expect(got.map((x) => ({ id: x.id, conversationId: x.conversationId, senderInboxId: x.senderInboxId, text: x.text }))).toEqual([
      { id: s1.messageId, conversationId: teamId, senderInboxId: inbox('alice'), text: 'live in team' },
      { id: s2.messageId, conversationId: bigId, senderInboxId: inbox('bob'), text: 'live in twenty' },
    ]);
    mark('streams');
  });

  it('after a node restart on the same database all history is there and new messages work', async () => {
    // messages nobody has fetched yet, and an inbox that only registered (key package on the node)
    const before = {
      dm: await peer('alice').send(dmId, 'dm before restart'),
      team: await peer('alice').send(teamId, 'team before restart'),
      big: await peer('alice').send(bigId, 'twenty before restart'),
    };
    dmMsgs.push({ id: before.dm.messageId, sender: 'alice', contentType: TEXT, text: 'dm before restart' });
    await register('late');

    const exit = await node?.stop();
    expect(exit?.code).toBe(0);
    const oldUrl = node?.url;
    node = await startNodeProcess({ db: dbPath });
    mark(`restart (old ${oldUrl}, new ${node.url})`);
    const alice = peer('alice');
    const bob = peer('bob');
    const dave = peer('dave');
    const late = peer('late');

    // identities persisted: a second installation of bob finds bob's inbox; the node lists both installations
    const bob2 = peer('bob-2');
    copyIdentity(bob, bob2);
    const b2 = await bob2.init();
    expect(b2).toMatchObject({ inboxId: inbox('bob'), address: id('bob').address, isRegistered: true, created: false });
    expect(b2.installationId).not.toBe(id('bob').installationId);
    const inst = await bob2.installations();
    expect(inst.installations.map((x) => x.id).sort()).toEqual([id('bob').installationId, b2.installationId].sort());

    // history: peers that fetch only now get what was sent before the restart, in order, from the right sender
    const dmExpected = dmMsgs.map((m) => ({ id: m.id, senderInboxId: inbox(m.sender), contentType: m.contentType, text: m.text }));
    const [bobDm, aliceDm] = await Promise.all([bob.messages(dmId, { sync: true }), alice.messages(dmId, { sync: true })]);
    expect(app(bobDm)).toEqual(dmExpected);
    expect(app(aliceDm)).toEqual(dmExpected);
    const daveTeam = app(await dave.messages(teamId, { sync: true }));
    expect(daveTeam.map((m) => [m.text, m.senderInboxId])).toEqual([
      ['after the change', inbox('dave')],
      ['live in team', inbox('alice')],
      ['team before restart', inbox('alice')],
    ]);
    expect(daveTeam.at(-1)?.id).toBe(before.team.messageId);
    const lastMember = peer(`member-${BIG_GROUP_SIZE}`);
    const bigHistory = app(await lastMember.messages(bigId, { sync: true }));
    expect(bigHistory.map((m) => [m.text, m.senderInboxId])).toEqual([
      ['hello twenty', inbox('alice')],
      ['twenty here', inbox(lastMember.name)],
      ['live in twenty', inbox('bob')],
      ['twenty before restart', inbox('alice')],
    ]);

    // new messages after the restart, both ways in the DM
    const after = await bob.send(dmId, 'dm after restart');
    const w = await alice.waitMessage(dmId, 'dm after restart');
    expect(w.message).toMatchObject({ id: after.messageId, senderInboxId: inbox('bob') });
    const after2 = await alice.send(dmId, 'and back after restart');
    const w2 = await bob.waitMessage(dmId, 'and back after restart');
    expect(w2.message).toMatchObject({ id: after2.messageId, senderInboxId: inbox('alice') });

    // group: add the inbox that registered before the restart (its key package), then talk
    const added = await alice.groupAdd(teamId, [inbox('late')]);
    expect(memberIds(added)).toEqual(sorted('alice', 'bob', 'dave', 'late'));
    const t = await dave.send(teamId, 'team after restart');
    for (const r of await all([alice, bob, late], (p) => p.waitMessage(teamId, 'team after restart')))
      expect(r.message).toMatchObject({ id: t.messageId, senderInboxId: inbox('dave') });
    expect(conv(await late.list(), teamId)).toMatchObject({ name: 'team-2', isActive: true });
    mark('restart + history + new messages');
  });
});
