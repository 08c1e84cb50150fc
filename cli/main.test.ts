// The command-line client as a process (tsx cli/main.ts) against an in-process node: init and
// re-init, a second installation from a copied identity.json, two CLI users DMing each other
// (dm, wait-message, send, reply, react, messages, list, sync), wait-message's timeout (exit 1) and
// usage errors (exit 2).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type RunningNode } from '../server/node.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSX = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const MAIN = path.join(REPO, 'cli', 'main.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, MAIN, ...args], { cwd: REPO, env: { ...process.env, XMTP_CLI_API: '', XMTP_CLI_STATE: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.trim().split('\n').filter(Boolean);
      let json: Record<string, unknown> = {};
      if (lines.length === 1) json = JSON.parse(lines[0]!) as Record<string, unknown>;
      else if (lines.length > 1) return reject(new Error(`more than one line on stdout: ${stdout}`));
      resolve({ code, stdout, stderr, json });
    });
  });
}

let node: RunningNode;
let tmp: string;
const user = (name: string) => async (...args: string[]): Promise<Run> => cli(['--api', node.url, '--state', path.join(tmp, name), ...args]);
const ok = async (p: Promise<Run>): Promise<Record<string, unknown>> => {
  const r = await p;
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return r.json;
};

beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'xmtp-cli-test-'));
});
afterAll(async () => {
  await node?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('xmtp cli', () => {
  it('init creates an identity and registers; a second init reuses it', async () => {
    const carol = user('carol');
    const first = await ok(carol('init'));
    expect(first).toMatchObject({ isRegistered: true, created: true, apiUrl: node.url });
    expect(Object.keys(first)).toEqual(['address', 'inboxId', 'installationId', 'isRegistered', 'created', 'libxmtpVersion', 'apiUrl']);
    expect(first.inboxId).toMatch(/^[0-9a-f]{64}$/);
    expect(first.installationId).toMatch(/^[0-9a-f]{64}$/);
    const file = path.join(tmp, 'carol', 'identity.json');
    const identity = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(identity)).toEqual(['privateKey', 'address']);
    expect(identity.address).toBe(first.address);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = await ok(carol('init'));
    expect(second).toMatchObject({ created: false, isRegistered: true, inboxId: first.inboxId, installationId: first.installationId, address: first.address });
    const who = await ok(carol('whoami'));
    expect(who).toMatchObject({ inboxId: first.inboxId, installationId: first.installationId, isRegistered: true });
    expect(who).not.toHaveProperty('created');
  }, 120_000);

  it('a copied identity.json makes a second installation of the same inbox', async () => {
    const one = await ok(user('dave')('init'));
    mkdirSync(path.join(tmp, 'dave2'));
    copyFileSync(path.join(tmp, 'dave', 'identity.json'), path.join(tmp, 'dave2', 'identity.json'));
    const two = await ok(user('dave2')('init'));
    expect(two).toMatchObject({ inboxId: one.inboxId, address: one.address, created: false, isRegistered: true });
    expect(two.installationId).not.toBe(one.installationId);
    expect(await ok(user('dave')('whoami'))).toMatchObject({ installationId: one.installationId, isRegistered: true });
  }, 120_000);

  it('two CLI users DM each other and read the messages', async () => {
    const alice = user('alice');
    const bob = user('bob');
    const [a, b] = await Promise.all([ok(alice('init')), ok(bob('init'))]);

    const dm = await ok(alice('dm', b.address as string, 'hello', 'bob'));
    expect(dm).toMatchObject({ peerInboxId: b.inboxId });
    const dmId = dm.conversationId as string;
    expect(dmId).toMatch(/^[0-9a-f]{32}$/);

    const got = await ok(bob('wait-message', 'any', 'hello bob', '20'));
    expect(got).toMatchObject({ found: true, via: 'poll', message: { id: dm.messageId, conversationId: dmId, senderInboxId: a.inboxId, text: 'hello bob', content: 'hello bob', contentType: 'xmtp.org/text:1.0', kind: 'Application' } });

    // bob answers by inbox id on the same DM (reused, not a new one), then replies and reacts
    const back = await ok(bob('dm', a.inboxId as string, 'hi alice'));
    expect(back).toMatchObject({ conversationId: dmId, peerInboxId: a.inboxId });
    const reply = await ok(bob('reply', dmId, dm.messageId as string, 'a reply'));
    const react = await ok(bob('react', dmId, dm.messageId as string, '👍'));
    expect(reply.messageId).toMatch(/^[0-9a-f]{64}$/);
    expect(react.messageId).toMatch(/^[0-9a-f]{64}$/);

    expect(await ok(alice('wait-message', dmId, '👍', '20'))).toMatchObject({ found: true, message: { senderInboxId: b.inboxId, content: { action: 'Added', content: '👍' } } });
    const sent = await ok(alice('send', dmId, 'thanks'));
    expect(sent).toMatchObject({ conversationId: dmId });

    const listed = (await ok(alice('messages', dmId))).messages as Record<string, unknown>[];
    expect(listed.map((m) => [m.senderInboxId, m.text])).toEqual([
      [a.inboxId, 'hello bob'],
      [b.inboxId, 'hi alice'],
      [b.inboxId, 'a reply'],
      [a.inboxId, 'thanks'],
    ]);
    expect(listed[0]).toMatchObject({ numReplies: 1, reactions: [{ senderInboxId: b.inboxId, action: 'Added', content: '👍' }] });
    expect(listed[2]).toMatchObject({ contentType: 'xmtp.org/reply:1.0', content: { referenceId: dm.messageId, content: 'a reply', contentType: 'xmtp.org/text:1.0', inReplyTo: { id: dm.messageId, senderInboxId: a.inboxId } } });
    expect(Object.keys(listed[0]!).sort()).toEqual(['content', 'contentType', 'conversationId', 'deliveryStatus', 'id', 'kind', 'numReplies', 'reactions', 'sentAtNs', 'senderInboxId', 'text'].sort());

    expect(await ok(bob('sync'))).toEqual({ numEligible: 1, numSynced: 1, conversations: 1 });
    const bobMessages = (await ok(bob('messages', dmId))).messages as Record<string, unknown>[];
    expect(bobMessages.map((m) => m.text)).toEqual(['hello bob', 'hi alice', 'a reply', 'thanks']);
    const { conversations } = (await ok(bob('list'))) as { conversations: Record<string, unknown>[] };
    expect(conversations).toHaveLength(1);
    expect(conversations[0]).toMatchObject({ id: dmId, type: 'dm', name: null, peerInboxId: a.inboxId, isActive: true });
    expect((conversations[0]!.members as { inboxId: string }[]).map((m) => m.inboxId).sort()).toEqual([a.inboxId, b.inboxId].sort());
  }, 180_000);

  it('groups: create with a member, send, add a member who then reads it', async () => {
    const [gAlice, gBob, gCarol] = [user('g-alice'), user('g-bob'), user('g-carol')];
    const [a, b, c] = await Promise.all([ok(gAlice('init')), ok(gBob('init')), ok(gCarol('init'))]);
    const group = await ok(gAlice('group-create', 'team', b.inboxId as string));
    expect(group).toMatchObject({ type: 'group', name: 'team', isActive: true, superAdmins: [a.inboxId] });
    expect((group.members as { inboxId: string; permissionLevel: string }[]).map((m) => [m.inboxId, m.permissionLevel]).sort()).toEqual(
      [[a.inboxId, 'SuperAdmin'], [b.inboxId, 'Member']].sort(),
    );
    const gid = group.id as string;
    await ok(gAlice('send', gid, 'welcome to the group'));
    expect(await ok(gBob('wait-message', gid, 'welcome', '20'))).toMatchObject({ found: true, message: { conversationId: gid, senderInboxId: a.inboxId } });
    const added = await ok(gAlice('group-add', gid, c.address as string));
    expect((added.members as { inboxId: string }[]).map((m) => m.inboxId).sort()).toEqual([a.inboxId, b.inboxId, c.inboxId].sort());
    await ok(gAlice('send', gid, 'hi carol'));
    expect(await ok(gCarol('wait-message', 'any', 'hi carol', '20'))).toMatchObject({ found: true, message: { conversationId: gid } });
    const bobView = (await ok(gBob('--sync', 'messages', gid))).messages as Record<string, unknown>[];
    expect(bobView.map((m) => [m.kind, m.text])).toContainEqual(['Application', 'hi carol']);
    const update = bobView.find((m) => m.kind === 'MembershipChange');
    expect(update).toMatchObject({ contentType: 'xmtp.org/group_updated:1.0', content: { initiatedByInboxId: a.inboxId, addedInboxes: [{ inboxId: c.inboxId }] } });

    // carol leaves: pending until alice (super admin) syncs, then gone; alice cannot leave
    expect(await ok(gCarol('leave', gid))).toEqual({ conversationId: gid, isPendingRemoval: true, isActive: true });
    const refused = await gAlice('leave', gid);
    expect(refused.code).toBe(2); // the peer's contract: 2 for any error
    expect(refused.stderr).toMatch(/super admin cannot leave/);
    await ok(gAlice('sync'));
    const carolList = (await ok(gCarol('--sync', 'list'))).conversations as Record<string, unknown>[];
    expect(carolList.find((x) => x.id === gid)).toMatchObject({ isActive: false });
  }, 180_000);

  it('wait-message started before the message exists gets it from the live stream (a DM created meanwhile)', async () => {
    const fay = user('fay');
    const gus = user('gus');
    const [f, g] = [await ok(fay('init')), await ok(gus('init'))];
    const waiting = gus('wait-message', 'any', 'live one', '60');
    await new Promise((r) => setTimeout(r, 3000)); // let it pass its first scan and start streaming
    const dm = await ok(fay('dm', g.inboxId as string, 'the live one'));
    const got = await waiting;
    expect(got.code).toBe(0);
    expect(got.json).toMatchObject({ found: true, via: 'stream', message: { id: dm.messageId, senderInboxId: f.inboxId, text: 'the live one' } });
  }, 120_000);

  it('wait-message times out with exit 1', async () => {
    const erin = user('erin');
    await ok(erin('init'));
    const r = await erin('wait-message', 'any', 'never sent', '1');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ found: false });
    expect(r.stderr).toContain('cli: wait-message: no message');
  }, 120_000);

  it('bad usage exits 2 with cli: error:', async () => {
    const cases: [string[], RegExp][] = [
      [['init'], /--state DIR/], // no --state
      [['--state', path.join(tmp, 'x'), 'frobnicate'], /unknown command frobnicate/],
      [['--state', path.join(tmp, 'x'), '--api'], /--api needs a value/],
      [['--state', path.join(tmp, 'nobody'), 'whoami'], /no identity in .*run 'init' first/],
      [['--state', path.join(tmp, 'carol'), 'send', 'abcd'], /send: expected <conversationId> <text>/],
      [['--state', path.join(tmp, 'carol'), 'wait-message', 'any', 'x', 'soon'], /timeoutSec must be a positive number/],
      [[], /no command/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^cli: error: /);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
  }, 120_000);
});
