/**
 * `npm run bench:client`: the same end-to-end scenarios with OUR client (src/protocol, in this
 * process) and with libxmtp (@xmtp/node-sdk 6.0.0 = libxmtp 1.10, every client inside one Node 22
 * process: bench/libxmtp-side.mjs), one after the other against one local node that this script
 * starts (`server/main.ts`, SQLite db in a temp dir, no rate limit). Both sides are measured as
 * libraries (no CLI processes). Prints a table (scenario, ours, libxmtp, ours / libxmtp) and writes
 * bench/results/client.json. Goal: every ratio ≤ 1.0 — a goal to measure against, not a gate.
 *
 * Scenarios (medians unless stated; warm-up samples excluded):
 *   register            createClient (fresh wallet, memory store)   | Client.create(EOA signer, dbPath null)
 *   dm + first message  createDm + sendText to a fresh peer         | conversations.createDm + dm.sendText
 *   send → receive      p50 / p95: sendText → receiver has decrypted it (live stream)
 *   group of 50         createGroup(50 inbox ids)
 *   add 1 to 250        addMembers([new inbox]) on a 250-member group (one new inbox per sample)
 *   cold sync of 1,000  idle member (joined before the burst): sync + read 1,000 messages
 * Members and DM peers are real inboxes registered by our client (memory stores), each with one key
 * package on the node; both sides use the same inboxes.
 *
 *   npm run bench:client [-- --quick] [-- --only register,dm,latency,group50,add250,coldSync] [-- --side ours|libxmtp]
 *   --quick: 10-member group, add to a 50-member group, 200 messages, fewer samples (development)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient, type XmtpClient } from '../src/protocol/client.js';
import { loadGroup } from '../src/protocol/conversations/conversation-store.js';
import { createDm } from '../src/protocol/conversations/create-dm.js';
import { createGroup } from '../src/protocol/conversations/create-group.js';
import { listMessages } from '../src/protocol/conversations/list-messages.js';
import { sendText } from '../src/protocol/conversations/send-text.js';
import { syncGroup } from '../src/protocol/conversations/sync-group.js';
import { syncWelcomes } from '../src/protocol/conversations/sync-welcomes.js';
import { addMembers } from '../src/protocol/conversations/update-group.js';
import { createXmtpApi, type XmtpApi } from '../src/protocol/delivery/create-xmtp-api.js';
import { followGroupMessages } from '../src/protocol/delivery/follow-topics.js';
import { createMemoryStore } from '../src/protocol/storage/memory-store.js';
import { startNodeProcess } from './node-process.js';
import { newWallet } from '../src/protocol/test-support/identity-builder.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    side: { type: 'string' },
  },
});
const QUICK = values.quick === true;
const SCENARIOS = ['register', 'dm', 'latency', 'group50', 'add250', 'coldSync'] as const;
type Scenario = (typeof SCENARIOS)[number];
const only = values.only ? (values.only.split(',') as Scenario[]) : undefined;
for (const s of only ?? []) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario ${s} (known: ${SCENARIOS.join(',')})`);
const want = (s: Scenario): boolean => !only || only.includes(s);
const runOurs = values.side !== 'libxmtp';
const runLibxmtp = values.side !== 'ours';

const C = QUICK
  ? { regWarm: 1, reg: 5, dmWarm: 1, dm: 5, latWarm: 3, lat: 20, g50Members: 10, g50Warm: 1, g50: 3, g250Members: 50, addWarm: 1, add: 3, syncMsgs: 200 }
  : { regWarm: 2, reg: 20, dmWarm: 1, dm: 10, latWarm: 5, lat: 100, g50Members: 50, g50Warm: 1, g50: 5, g250Members: 250, addWarm: 1, add: 5, syncMsgs: 1000 };

const now = (): number => performance.now();
const T0 = now();
const log = (...a: unknown[]): void => console.error(`[bench ${((now() - T0) / 1000).toFixed(1).padStart(6)}s]`, ...a);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Stats {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}
function stats(xs: number[]): Stats | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  const r = (x: number): number => Math.round(x * 10) / 10;
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { n: s.length, median: r(median), p95: r(q(0.95)), min: r(s[0]!), max: r(s[s.length - 1]!), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

/** Node 22 wrapper for libxmtp (scripts/libxmtp-runtime.sh is idempotent: it only prints the path once installed). */
function libxmtpRuntime(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts', 'libxmtp-runtime.sh')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop() ?? '') : reject(new Error(`libxmtp-runtime.sh exited with ${code}`))));
  });
}

// ---------------------------------------------------------------- our client
const env: { api?: XmtpApi } = {};
async function register(): Promise<{ client: XmtpClient; ms: number }> {
  const identity = newWallet();
  const store = createMemoryStore();
  const t0 = now();
  const client = await createClient({ api: env.api!, store, identity });
  return { client, ms: now() - t0 };
}

/** Registers n inboxes (untimed), a few at a time. */
async function registerMany(n: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  const CONCURRENCY = 4;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next++;
        ids.push((await register()).client.inboxId);
        if (ids.length % 50 === 0) log(`  ${label}: ${ids.length}/${n}`);
      }
    }),
  );
  return ids;
}

interface SideResult {
  register?: { warm: number[]; ms: number[] };
  dm?: { warm: number[]; ms: number[]; createMs: number[]; sendMs: number[] };
  latency?: { warm: (number | null)[]; ms: number[]; lost: number };
  group50?: { warm: number[]; ms: number[]; membersIncludingCreator: number | null };
  add250?: { warm: number[]; ms: number[]; createGroupMs: number; membersAtStart: number; membersAtEnd: number };
  coldSync?: { ms: number[]; syncMs: number; readMs: number; burstMessagesRead: number; sendTotalMs: number; sendPerMessageMs: number; welcomeSyncMs?: number };
}

interface Peers {
  dm: string[];
  group50: string[];
  group250: string[];
  add: string[];
}

async function oursScenarios(peers: Peers): Promise<SideResult> {
  const out: SideResult = {};
  if (want('register')) {
    log('ours: register');
    const warm: number[] = [];
    const ms: number[] = [];
    for (let i = 0; i < C.regWarm; i++) warm.push((await register()).ms);
    for (let i = 0; i < C.reg; i++) ms.push((await register()).ms);
    out.register = { warm, ms };
  }
  if (want('dm')) {
    log('ours: dm + first message');
    const A = (await register()).client;
    const warm: number[] = [];
    const ms: number[] = [];
    const createMs: number[] = [];
    const sendMs: number[] = [];
    const list = [...peers.dm];
    for (let i = 0; i < C.dmWarm + C.dm; i++) {
      const t0 = now();
      const dm = await createDm(A, { peerInboxId: list.shift()! });
      const t1 = now();
      await sendText(A, { groupId: dm.groupId, text: `first message ${i}` });
      const t2 = now();
      if (i < C.dmWarm) warm.push(t2 - t0);
      else {
        ms.push(t2 - t0);
        createMs.push(t1 - t0);
        sendMs.push(t2 - t1);
      }
    }
    out.dm = { warm, ms, createMs, sendMs };
  }
  if (want('latency')) {
    log('ours: send → receive latency');
    const S = (await register()).client;
    const R = (await register()).client;
    const dm = await createDm(S, { peerInboxId: R.inboxId });
    await sendText(S, { groupId: dm.groupId, text: 'setup' });
    await syncWelcomes(R);
    await syncGroup(R, { groupId: dm.groupId });
    const { record } = await loadGroup(R.store, dm.groupId);
    // The receiver's live path: the node's subscription delivers the envelope, then syncGroup
    // decrypts and stores it (the engine has no API to process a streamed envelope directly).
    const abort = new AbortController();
    const waiters = new Map<string, (t: number) => void>();
    // The message id is known only when sendText returns: a receive that lands earlier is kept in `early`.
    const early = new Map<string, number>();
    const pump = (async () => {
      try {
        for await (const envelope of followGroupMessages(R.api, [{ groupId: dm.groupId, cursor: record.cursor }], { signal: abort.signal })) {
          void envelope;
          const r = await syncGroup(R, { groupId: dm.groupId });
          const t = now();
          for (const id of r.received) {
            const w = waiters.get(id);
            if (w) {
              waiters.delete(id);
              w(t);
            } else early.set(id, t);
          }
        }
      } catch (e) {
        if (!abort.signal.aborted) log('ours: stream failed', e);
      }
    })();
    await sleep(200);
    const sample = async (text: string): Promise<number | null> => {
      const t0 = now();
      const { messageId } = await sendText(S, { groupId: dm.groupId, text });
      let recvAt = early.get(messageId);
      early.delete(messageId);
      recvAt ??= await Promise.race([new Promise<number>((r) => waiters.set(messageId, r)), sleep(15_000).then(() => undefined)]);
      waiters.delete(messageId);
      return recvAt === undefined ? null : recvAt - t0;
    };
    const warm: (number | null)[] = [];
    const ms: number[] = [];
    let lost = 0;
    for (let i = 0; i < C.latWarm; i++) warm.push(await sample(`warm-${i}-${Math.random()}`));
    for (let i = 0; i < C.lat; i++) {
      const x = await sample(`lat-${i}-${Math.random()}`);
      if (x === null) lost++;
      else ms.push(x);
    }
    abort.abort();
    await pump;
    out.latency = { warm, ms, lost };
  }
  if (want('group50')) {
    log(`ours: group of ${peers.group50.length}`);
    const creator = (await register()).client;
    const warm: number[] = [];
    const ms: number[] = [];
    let members: number | null = null;
    for (let i = 0; i < C.g50Warm + C.g50; i++) {
      const t0 = now();
      const g = await createGroup(creator, { memberInboxIds: peers.group50 });
      const t = now() - t0;
      if (i < C.g50Warm) warm.push(t);
      else ms.push(t);
      members ??= g.addedInstallations.length + 1;
      if (g.failedInstallations.length) log(`  ours: ${g.failedInstallations.length} installations failed`);
    }
    out.group50 = { warm, ms, membersIncludingCreator: members };
  }
  if (want('add250')) {
    log(`ours: add 1 to a group of ${peers.group250.length + 1}`);
    const creator = (await register()).client;
    const t0 = now();
    const g = await createGroup(creator, { memberInboxIds: peers.group250 });
    const createGroupMs = now() - t0;
    const membersAtStart = g.addedInstallations.length + 1;
    log(`  ours: createGroup(${peers.group250.length}) ${Math.round(createGroupMs)} ms, ${membersAtStart} members`);
    const warm: number[] = [];
    const ms: number[] = [];
    const toAdd = [...peers.add];
    let added = 0;
    for (let i = 0; i < C.addWarm + C.add; i++) {
      const t1 = now();
      const r = await addMembers(creator, { groupId: g.groupId, inboxIds: [toAdd.shift()!] });
      const t = now() - t1;
      added += r.addedInstallations.length;
      if (i < C.addWarm) warm.push(t);
      else ms.push(t);
    }
    out.add250 = { warm, ms, createGroupMs, membersAtStart, membersAtEnd: membersAtStart + added };
  }
  if (want('coldSync')) {
    const M = C.syncMsgs;
    log(`ours: cold sync of ${M}`);
    const sender = (await register()).client;
    const member = (await register()).client;
    const g = await createGroup(sender, { memberInboxIds: [member.inboxId] });
    await sendText(sender, { groupId: g.groupId, text: 'before' });
    await syncWelcomes(member);
    await syncGroup(member, { groupId: g.groupId });
    await listMessages(member, { groupId: g.groupId });
    const s0 = now();
    for (let i = 0; i < M; i++) await sendText(sender, { groupId: g.groupId, text: `burst message ${i} ${'x'.repeat(20)}` });
    const sendTotalMs = now() - s0;
    log(`  ours: sent ${M} in ${Math.round(sendTotalMs)} ms`);
    await sleep(300);
    // the libxmtp side's syncAll = welcomes + every group; here: welcomes + the one group
    const t0 = now();
    await syncWelcomes(member);
    const tw = now();
    await syncGroup(member, { groupId: g.groupId });
    const t1 = now();
    const msgs = await listMessages(member, { groupId: g.groupId });
    const t2 = now();
    const burstMessagesRead = msgs.filter((m) => typeof m.content === 'string' && m.content.startsWith('burst message')).length;
    out.coldSync = { ms: [t2 - t0], syncMs: t1 - t0, welcomeSyncMs: tw - t0, readMs: t2 - t1, burstMessagesRead, sendTotalMs, sendPerMessageMs: sendTotalMs / M };
  }
  return out;
}

function runLibxmtpSide(node22: string, input: object, dir: string): Promise<SideResult & { sdk?: string }> {
  const inFile = path.join(dir, 'libxmtp-in.json');
  const outFile = path.join(dir, 'libxmtp-out.json');
  writeFileSync(inFile, JSON.stringify(input));
  return new Promise((resolve, reject) => {
    const child = spawn(node22, [path.join(ROOT, 'bench', 'libxmtp-side.mjs'), inFile, outFile], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code) => {
      let parsed: { sdk?: string; scenarios?: SideResult } = {};
      try {
        parsed = JSON.parse(readFileSync(outFile, 'utf8')) as typeof parsed;
      } catch {
        /* no output */
      }
      if (code !== 0 && !parsed.scenarios) return reject(new Error(`libxmtp side exited with ${code}`));
      if (code !== 0) log(`libxmtp side exited with ${code}: partial results`);
      resolve({ ...(parsed.scenarios ?? {}), ...(parsed.sdk ? { sdk: parsed.sdk } : {}) });
    });
  });
}

// ---------------------------------------------------------------- main
const tmp = mkdtempSync(path.join(tmpdir(), 'client-bench-'));
const node = await startNodeProcess(path.join(tmp, 'node.sqlite'));
log(`node ${node.url} (pid ${node.pid}), ${QUICK ? 'quick' : 'full'} sizes`);
env.api = createXmtpApi({ node: node.url });
const node22 = runLibxmtp ? await libxmtpRuntime() : '';

// Real member inboxes, registered by our client (each with one key package on the node).
const nDm = C.dmWarm + C.dm;
const nAdd = C.addWarm + C.add;
const nBase = Math.max(want('add250') ? C.g250Members - 1 : 0, want('group50') ? C.g50Members : 0, want('dm') ? nDm : 0);
log(`registering ${nBase + (want('add250') ? nAdd : 0)} member inboxes (untimed)`);
const r0 = now();
const base = await registerMany(nBase, 'members');
const add = want('add250') ? await registerMany(nAdd, 'to add') : [];
const memberRegistrationS = (now() - r0) / 1000;
log(`  ${base.length + add.length} inboxes in ${memberRegistrationS.toFixed(1)} s`);
const peers: Peers = { dm: base.slice(0, nDm), group50: base.slice(0, C.g50Members), group250: base.slice(0, C.g250Members - 1), add };

let ours: SideResult = {};
let lx: SideResult & { sdk?: string } = {};
const oursT0 = now();
if (runOurs) ours = await oursScenarios(peers);
const oursWallS = (now() - oursT0) / 1000;
const lxT0 = now();
if (runLibxmtp) lx = await runLibxmtpSide(node22, { nodeUrl: node.url, counts: C, only: only ?? null, peers }, tmp);
const lxWallS = (now() - lxT0) / 1000;
await node.stop();
rmSync(tmp, { recursive: true, force: true });

// ---------------------------------------------------------------- report
interface Row {
  scenario: string;
  oursMs: number | null;
  libxmtpMs: number | null;
  ratio: number | null;
}
const pick = (s: SideResult[Scenario] | undefined, f: (st: Stats) => number): number | null => {
  const st = s ? stats(s.ms) : null;
  return st ? f(st) : null;
};
const rows: Row[] = [];
const row = (scenario: string, a: number | null, b: number | null): void => {
  rows.push({ scenario, oursMs: a, libxmtpMs: b, ratio: a !== null && b !== null && b > 0 ? Math.round((a / b) * 100) / 100 : null });
};
const g50n = C.g50Members;
const g250n = C.g250Members;
row('register a new inbox (median)', pick(ours.register, (s) => s.median), pick(lx.register, (s) => s.median));
row('DM + first message (median)', pick(ours.dm, (s) => s.median), pick(lx.dm, (s) => s.median));
row('send → receive p50', pick(ours.latency, (s) => s.median), pick(lx.latency, (s) => s.median));
row('send → receive p95', pick(ours.latency, (s) => s.p95), pick(lx.latency, (s) => s.p95));
row(`group of ${g50n} members (median)`, pick(ours.group50, (s) => s.median), pick(lx.group50, (s) => s.median));
row(`add 1 to a ${g250n}-member group (median)`, pick(ours.add250, (s) => s.median), pick(lx.add250, (s) => s.median));
row(`cold sync of ${C.syncMsgs} messages (sync + read)`, pick(ours.coldSync, (s) => s.median), pick(lx.coldSync, (s) => s.median));

const fmt = (x: number | null): string => (x === null ? '—' : x.toFixed(1));
const w0 = Math.max(...rows.map((r) => r.scenario.length));
console.log(`\n${'scenario'.padEnd(w0)}  ${'ours ms'.padStart(10)}  ${'libxmtp ms'.padStart(10)}  ${'ratio'.padStart(7)}`);
for (const r of rows) {
  console.log(`${r.scenario.padEnd(w0)}  ${fmt(r.oursMs).padStart(10)}  ${fmt(r.libxmtpMs).padStart(10)}  ${(r.ratio === null ? '—' : r.ratio.toFixed(2)).padStart(7)}`);
}

const summarize = (s: SideResult): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(s)
      .filter(([k]) => k !== 'sdk')
      .map(([k, v]) => {
        const { ms, ...rest } = v as { ms: number[] };
        return [k, { stats: stats(ms), samplesMs: ms.map((x) => Math.round(x * 10) / 10), ...rest }];
      }),
  );
const result = {
  meta: {
    date: new Date().toISOString(),
    quick: QUICK,
    counts: C,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: 'server/main.ts (SQLite in a temp dir, --no-rate-limit), separate process',
    ours: `src/protocol (memory stores), ${process.version}`,
    libxmtp: `${lx.sdk ?? '@xmtp/node-sdk'} (dbPath null, disableDeviceSync), Node 22 via .libxmtp/node22`,
    memberRegistrationS: Math.round(memberRegistrationS * 10) / 10,
    oursWallS: Math.round(oursWallS * 10) / 10,
    libxmtpWallS: Math.round(lxWallS * 10) / 10,
    totalWallS: Math.round((now() - T0) / 100) / 10,
    goal: 'every ratio (ours / libxmtp) ≤ 1.0; a goal to measure against, not a gate',
  },
  table: rows,
  ours: summarize(ours),
  libxmtp: summarize(lx),
};
mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
const outPath = path.join(ROOT, 'bench', 'results', 'client.json');
writeFileSync(outPath, JSON.stringify(result, null, 2) + '\n');
console.log(`\nsaved ${path.relative(ROOT, outPath)} (total ${result.meta.totalWallS} s)`);
process.exit(0);
