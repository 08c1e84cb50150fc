// Interop test harness: drives REAL libxmtp clients (interop/libxmtp-peer.mjs on Node 22, one process
// per command) and starts our XMTP node as a child process. Runs under Node 20 / vitest.
//   ensureLibxmtpRuntime()   installs/locates Node 22 + @xmtp/node-sdk (scripts/libxmtp-runtime.sh), once
//   createPeer(name, url)    one identity in <run tmp>/<name>, typed methods for every peer command
//   copyIdentity(from, to)   same wallet in another state folder: a second installation after `init`
//   startNodeProcess({ db }) our node (`tsx server/main.ts --port 0 --db <db>`)
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PEER_SCRIPT = path.join(REPO_DIR, 'interop', 'libxmtp-peer.mjs');
const RUNTIME_SCRIPT = path.join(REPO_DIR, 'scripts', 'libxmtp-runtime.sh');

// ---------- output types of the peer commands ----------

export interface PeerIdentity {
  address: string;
  inboxId: string;
  installationId: string;
  isRegistered: boolean;
  created?: boolean;
  libxmtpVersion: string;
  apiUrl: string;
}

export interface MemberInfo {
  inboxId: string;
  installationIds: string[];
  permissionLevel: 'Member' | 'Admin' | 'SuperAdmin' | string;
  consentState: string;
}

export interface ConversationInfo {
  id: string;
  type: 'dm' | 'group';
  name: string | null;
  description?: string;
  peerInboxId?: string;
  consentState: string;
  isActive: boolean;
  createdAtNs: string;
  admins?: string[];
  superAdmins?: string[];
  members: MemberInfo[];
}

export interface ReactionInfo {
  id: string;
  senderInboxId: string;
  action: string;
  content: string;
  sentAtNs: string;
}

export interface MessageInfo {
  id: string;
  conversationId: string;
  senderInboxId: string;
  /** authority/type:major.minor, e.g. xmtp.org/text:1.0 */
  contentType: string | null;
  kind: 'Application' | 'MembershipChange' | string;
  deliveryStatus: string;
  /** decoded content: a string for text, an object for replies, group updates, … */
  content: unknown;
  fallback?: string;
  /** best-effort plain text */
  text: string;
  sentAtNs: string;
  numReplies: number;
  reactions: ReactionInfo[];
}

export interface GroupUpdatedContent {
  initiatedByInboxId: string;
  addedInboxes: { inboxId: string }[];
  removedInboxes: { inboxId: string }[];
  leftInboxes: { inboxId: string }[];
  metadataFieldChanges: { fieldName: string; oldValue?: string; newValue?: string }[];
}

export interface DmSent {
  conversationId: string;
  messageId: string;
  peerInboxId: string;
}
export interface SentMessage {
  conversationId: string;
  messageId: string;
}
export interface SyncSummary {
  numEligible: number;
  numSynced: number;
  conversations: number;
}
export interface WaitResult {
  found: true;
  via: 'poll' | 'stream';
  waitedMs: number;
  message: MessageInfo;
}
export interface InboxInstallations {
  inboxId: string;
  recoveryIdentifier: unknown;
  identifiers: unknown[];
  installations: { id: string; clientTimestampNs?: string; current: boolean }[];
}
export interface PermissionsInfo {
  conversationId: string;
  policyType: string;
  policySet: Record<string, string>;
}

/** A running `stream` command: resolved once the peer printed {"ready":true}. */
export interface PeerStream {
  /** messages received so far, in arrival order */
  readonly received: MessageInfo[];
  /** resolves with all messages once `count` arrived; rejects on timeout or error */
  readonly done: Promise<MessageInfo[]>;
  /** kill the stream process early */
  stop(): void;
}

export interface RunOptions {
  /** kill the command after this long (default 180 s) */
  timeoutMs?: number;
}

export interface Peer {
  readonly name: string;
  readonly stateDir: string;
  readonly apiUrl: string;
  /** raw command: spawns the peer, returns the parsed JSON object it printed */
  run<T = unknown>(args: string[], opts?: RunOptions): Promise<T>;
  init(): Promise<PeerIdentity>;
  whoami(): Promise<PeerIdentity>;
  installations(): Promise<InboxInstallations>;
  revoke(installationIds: string[]): Promise<InboxInstallations>;
  revokeOthers(): Promise<InboxInstallations>;
  dm(to: string, text: string): Promise<DmSent>;
  groupCreate(name: string, members: string[]): Promise<ConversationInfo>;
  groupAdd(conversationId: string, members: string[]): Promise<ConversationInfo>;
  groupRemove(conversationId: string, members: string[]): Promise<ConversationInfo>;
  groupRename(conversationId: string, name: string): Promise<{ conversationId: string; name: string }>;
  groupUpdateName(conversationId: string, name: string): Promise<{ conversationId: string; name: string }>;
  groupDescribe(conversationId: string, description: string): Promise<{ conversationId: string; description: string }>;
  adminsAdd(conversationId: string, members: string[]): Promise<ConversationInfo>;
  adminsRemove(conversationId: string, members: string[]): Promise<ConversationInfo>;
  permissions(conversationId: string, change?: { action: string; policy: string }): Promise<PermissionsInfo>;
  leave(conversationId: string): Promise<{ conversationId: string; isPendingRemoval: boolean; isActive: boolean }>;
  debug(conversationId: string): Promise<{ conversationId: string; epoch: string; maybeForked: boolean; forkDetails: string }>;
  send(conversationId: string, text: string): Promise<SentMessage>;
  react(conversationId: string, messageId: string, emoji: string): Promise<SentMessage>;
  reply(conversationId: string, messageId: string, text: string): Promise<SentMessage>;
  consent(target: string, state: 'allow' | 'deny'): Promise<{ conversationId?: string; inboxId?: string; consentState: string }>;
  sync(): Promise<SyncSummary>;
  list(opts?: { sync?: boolean }): Promise<ConversationInfo[]>;
  messages(conversationId: string, opts?: { sync?: boolean }): Promise<MessageInfo[]>;
  members(conversationId: string, opts?: { sync?: boolean }): Promise<MemberInfo[]>;
  /** waits for a message from another inbox containing `needle`; throws on timeout */
  waitMessage(target: string, needle: string, timeoutSec?: number): Promise<WaitResult>;
  /** starts `stream`; resolves once the live stream is open on the node */
  stream(target: string, count: number, timeoutSec: number): Promise<PeerStream>;
}

export class PeerCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(message);
    this.name = 'PeerCommandError';
  }
}

// ---------- runtime ----------

let runtime: Promise<string> | undefined;
const RUNTIME_ENV = 'XMTP_INTEROP_NODE22_WRAPPER';

/** Installs (first time: minutes) or locates the Node 22 + libxmtp runtime; returns the node22 wrapper path. */
export function ensureLibxmtpRuntime(): Promise<string> {
  runtime ??= (async () => {
    // vitest re-evaluates modules per test file; the worker's environment survives, so the script runs once per run
    const cached = process.env[RUNTIME_ENV];
    if (cached && existsSync(cached)) return cached;
    const { stdout } = await execFileText('bash', [RUNTIME_SCRIPT], { cwd: REPO_DIR, timeoutMs: 20 * 60_000 });
    const wrapper = stdout.trim().split('\n').pop() ?? '';
    if (!wrapper || !existsSync(wrapper)) throw new Error(`scripts/libxmtp-runtime.sh printed no wrapper path (stdout: ${stdout})`);
    process.env[RUNTIME_ENV] = wrapper;
    return wrapper;
  })();
  runtime.catch(() => {
    runtime = undefined;
  });
  return runtime;
}

function execFileText(file: string, args: string[], opts: { cwd: string; timeoutMs: number }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: opts.cwd, timeout: opts.timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

// ---------- child process bookkeeping ----------

const children = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // never leave peers or nodes behind when the test process goes away
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
}

/** At most this many peer commands run at once (2-core machine: native client start is CPU-bound). */
const MAX_PARALLEL = Math.max(1, Number(process.env.XMTP_INTEROP_PARALLEL ?? 4));
let running = 0;
const queue: (() => void)[] = [];
async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((r) => queue.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

// ---------- peers ----------

let runDir: string | undefined;
/** Per-run temporary folder holding every peer's state folder (and, by convention, node databases). */
export function interopTmpDir(): string {
  runDir ??= mkdtempSync(path.join(os.tmpdir(), 'xmtp-interop-'));
  return runDir;
}

/** Deletes the run folder (peers' state, databases), unless XMTP_INTEROP_KEEP=1; returns whether it was kept. */
export function removeInteropTmpDir(): boolean {
  if (!runDir || process.env.XMTP_INTEROP_KEEP === '1') return runDir !== undefined;
  rmSync(runDir, { recursive: true, force: true });
  runDir = undefined;
  return false;
}

const tail = (s: string, n = 4000): string => (s.length > n ? `…${s.slice(-n)}` : s);

/**
 * A libxmtp peer named `name` talking to the node at `apiUrl`. Its state folder is
 * <interopTmpDir()>/<name>, so calling createPeer again with the same name (e.g. with a new node
 * URL after a restart) gives the same identity and local database.
 */
export function createPeer(name: string, apiUrl: string, opts: { stateRoot?: string } = {}): Peer {
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(name)) throw new Error(`peer name must be a simple folder name: ${name}`);
  const stateDir = path.join(opts.stateRoot ?? interopTmpDir(), name);
  const baseArgs = (): string[] => [PEER_SCRIPT, '--api', apiUrl, '--state', stateDir];
  const label = (args: string[]): string => `peer ${name}: ${args.map((a) => (a.length > 24 ? `${a.slice(0, 12)}…` : a)).join(' ')}`;

  const run = async <T>(args: string[], ro: RunOptions = {}): Promise<T> => {
    const node22 = await ensureLibxmtpRuntime();
    return withSlot(
      () =>
        new Promise<T>((resolve, reject) => {
          const child = spawn(node22, [...baseArgs(), ...args], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
          track(child);
          let stdout = '';
          let stderr = '';
          child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
          child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
          const timeoutMs = ro.timeoutMs ?? 180_000;
          const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          child.on('error', (e) => {
            clearTimeout(timer);
            reject(new PeerCommandError(`${label(args)}: cannot start ${node22}: ${e.message}`, null, stderr, stdout));
          });
          child.on('close', (code, signal) => {
            clearTimeout(timer);
            if (code !== 0) {
              const why = signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit ${code ?? signal}`;
              reject(new PeerCommandError(`${label(args)} failed (${why}): ${tail(stderr.trim()) || '(no stderr)'}`, code, stderr, stdout));
              return;
            }
            const line = stdout.trim().split('\n').pop() ?? '';
            try {
              resolve(JSON.parse(line) as T);
            } catch {
              reject(new PeerCommandError(`${label(args)}: output is not one JSON object: ${tail(stdout)}`, code, stderr, stdout));
            }
          });
        }),
    );
  };

  const stream = async (target: string, count: number, timeoutSec: number): Promise<PeerStream> => {
    const node22 = await ensureLibxmtpRuntime();
    const args = ['stream', target, String(count), String(timeoutSec)];
    const child = spawn(node22, [...baseArgs(), ...args], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    const received: MessageInfo[] = [];
    let stdout = '';
    let stderr = '';
    let buffered = '';
    let onReady: () => void = () => {};
    let failReady: (e: Error) => void = () => {};
    const ready = new Promise<void>((res, rej) => {
      onReady = res;
      failReady = rej;
    });
    let isReady = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        const obj = JSON.parse(line) as Record<string, unknown>;
        if (obj.ready === true) {
          isReady = true;
          onReady();
        } else if (typeof obj.id === 'string') received.push(obj as unknown as MessageInfo);
      }
    });
    const done = new Promise<MessageInfo[]>((resolve, reject) => {
      child.on('error', (e) => reject(new PeerCommandError(`${label(args)}: cannot start: ${e.message}`, null, stderr, stdout)));
      child.on('close', (code, signal) => {
        if (code === 0) return resolve(received);
        const why = code === 1 ? `timed out after ${timeoutSec}s with ${received.length} of ${count} message(s)` : `exit ${code ?? signal}`;
        const err = new PeerCommandError(`${label(args)} failed (${why}): ${tail(stderr.trim()) || '(no stderr)'}`, code, stderr, stdout);
        if (!isReady) failReady(err);
        reject(err);
      });
    });
    done.catch(() => {}); // observed by the caller when it awaits `done`
    await ready;
    return { received, done, stop: () => void child.kill('SIGTERM') };
  };

  const sync = (o?: { sync?: boolean }): string[] => (o?.sync ? ['--sync'] : []);
  return {
    name,
    stateDir,
    apiUrl,
    run,
    init: () => run<PeerIdentity>(['init']),
    whoami: () => run<PeerIdentity>(['whoami']),
    installations: () => run<InboxInstallations>(['installations']),
    revoke: (ids) => run<InboxInstallations>(['revoke', ...ids]),
    revokeOthers: () => run<InboxInstallations>(['revoke-others']),
    dm: (to, text) => run<DmSent>(['dm', to, text]),
    groupCreate: (groupName, members) => run<ConversationInfo>(['group-create', groupName, ...members]),
    groupAdd: (id, members) => run<ConversationInfo>(['group-add', id, ...members]),
    groupRemove: (id, members) => run<ConversationInfo>(['group-remove', id, ...members]),
    groupRename: (id, newName) => run(['group-rename', id, newName]),
    groupUpdateName: (id, newName) => run(['group-update-name', id, newName]),
    groupDescribe: (id, description) => run(['group-describe', id, description]),
    adminsAdd: (id, members) => run<ConversationInfo>(['admins-add', id, ...members]),
    adminsRemove: (id, members) => run<ConversationInfo>(['admins-remove', id, ...members]),
    permissions: (id, change) => run<PermissionsInfo>(['permissions', id, ...(change ? [change.action, change.policy] : [])]),
    leave: (id) => run(['leave', id]),
    debug: (id) => run(['debug', id]),
    send: (id, text) => run<SentMessage>(['send', id, text]),
    react: (id, messageId, emoji) => run<SentMessage>(['react', id, messageId, emoji]),
    reply: (id, messageId, text) => run<SentMessage>(['reply', id, messageId, text]),
    consent: (target, state) => run(['consent', target, state]),
    sync: () => run<SyncSummary>(['sync']),
    list: async (o) => (await run<{ conversations: ConversationInfo[] }>([...sync(o), 'list'])).conversations,
    messages: async (id, o) => (await run<{ messages: MessageInfo[] }>([...sync(o), 'messages', id])).messages,
    members: async (id, o) => (await run<{ members: MemberInfo[] }>([...sync(o), 'members', id])).members,
    waitMessage: (target, needle, timeoutSec = 30) =>
      run<WaitResult>(['wait-message', target, needle, String(timeoutSec)], { timeoutMs: (timeoutSec + 60) * 1000 }),
    stream,
  };
}

/** Copies the wallet (identity.json only) of `from` into `to`'s state folder: `to.init()` then makes a second installation. */
export function copyIdentity(from: Peer, to: Peer): void {
  const src = path.join(from.stateDir, 'identity.json');
  if (!existsSync(src)) throw new Error(`${from.name} has no identity yet (run init first)`);
  mkdirSync(to.stateDir, { recursive: true });
  copyFileSync(src, path.join(to.stateDir, 'identity.json'));
}

// ---------- our node ----------

export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  url: string;
  port: number;
  pid: number;
  /** everything the node printed so far (stdout + stderr), for diagnostics */
  output(): string;
  /** SIGTERM, wait for the exit; throws unless the node exits with code 0 within the timeout */
  stop(timeoutMs?: number): Promise<NodeExit>;
}


/**
 * Spawns our node: `tsx server/main.ts --port <port|0> --db <db>` (the tsx CLI directly rather than
 * through npx: npx does not forward SIGTERM to its child), and waits for its line
 * `listening on http://127.0.0.1:<port>`.
 */
export async function startNodeProcess(opts: { db: string; port?: number; startTimeoutMs?: number }): Promise<NodeProcess> {
  const kind = 'our';
  const cliArgs = ['--port', String(opts.port ?? 0), '--db', opts.db];
  const cmd = process.execPath;
  const args = [path.join(REPO_DIR, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_DIR, 'server', 'main.ts'), ...cliArgs];
  const child = spawn(cmd, args, { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  const exited = new Promise<NodeExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node (${kind}) printed no "listening on http://127.0.0.1:<port>" within ${startTimeoutMs} ms; output:\n${tail(out)}`));
    }, startTimeoutMs);
    const onData = (d: string): void => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start node (${kind}): ${e.message}`));
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`node (${kind}) exited (${code ?? signal}) before listening; output:\n${tail(out)}`));
    });
  });
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    pid: child.pid ?? -1,
    output: () => out,
    stop: async (timeoutMs = 15_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const r = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (r === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`node (${kind}) did not exit within ${timeoutMs} ms after SIGTERM; output:\n${tail(out)}`);
      }
      if (r.code !== 0) throw new Error(`node (${kind}) exited with ${r.code ?? r.signal} after SIGTERM (expected 0); output:\n${tail(out)}`);
      return r;
    },
  };
}
