/**
 * The command-line client's options and commands (see cli/main.ts for the contract). Each command
 * opens the state folder's Store, runs on the src/protocol core and returns one JSON-able object;
 * `runCli` prints it, or the error, and returns the exit code. Node only.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hexToBytes } from '@noble/hashes/utils.js';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { IdentifierKind } from '../src/gen/identity/associations/association_pb.js';
import { createClient, openClient, type XmtpClient } from '../src/protocol/client.js';
import { createDm } from '../src/protocol/conversations/create-dm.js';
import { createGroup } from '../src/protocol/conversations/create-group.js';
import { addMembers } from '../src/protocol/conversations/update-group.js';
import { ConversationTables, type StoredGroup } from '../src/protocol/conversations/conversation-store.js';
import { listMessages, type DecodedMessage } from '../src/protocol/conversations/list-messages.js';
import { sendReaction, sendReply } from '../src/protocol/conversations/send-reply.js';
import { sendText } from '../src/protocol/conversations/send-text.js';
import { syncGroup } from '../src/protocol/conversations/sync-group.js';
import { streamMessages } from '../src/protocol/conversations/stream-messages.js';
import { leaveGroup } from '../src/protocol/conversations/leave-group.js';
import { listConversations } from '../src/protocol/conversations/list-conversations.js';
import { syncWelcomes } from '../src/protocol/conversations/sync-welcomes.js';
import { createXmtpApi, type XmtpApi } from '../src/protocol/delivery/create-xmtp-api.js';
import { getInstallationIds } from '../src/protocol/identity/association-state.js';
import { createEoaSigner } from '../src/protocol/identity/create-eoa-signer.js';
import { fetchAssociationState } from '../src/protocol/identity/fetch-association-state.js';
import { isEthereumAddress } from '../src/protocol/identity/identifiers.js';
import { formatConversation, formatMessage, formatMessages, listConversationRecords, messageText, toJson } from './format.js';
import { openSqliteClientStore, type SqliteClientStore } from './sqlite-client-store.js';

export const USAGE = `usage: npm run -s cli -- [options] <command> [args]     (or: xmtp-cli [options] <command> [args])
options:
  --api URL       node endpoint (default $XMTP_CLI_API or http://localhost:5556)
  --state DIR     identity + database folder (default $XMTP_CLI_STATE; required)
  --sync          sync welcomes and every conversation before the command
  --log LEVEL     Off|Error|Warn|Info|Debug|Trace (default $XMTP_CLI_LOG or Off); diagnostics on stderr
commands:
  init | whoami | sync | list
  dm <inboxId|address> <text>
  send <conversationId> <text>
  react <conversationId> <messageId> <emoji>
  reply <conversationId> <messageId> <text>
  messages <conversationId>
  wait-message <conversationId|any> <textSubstring> [timeoutSec=30]
  group-create <name> [inboxId|address...]
  group-add <conversationId> <inboxId|address...>
  leave <conversationId>       ask to leave a group (a super admin removes you)`;

export class UsageError extends Error {}

export const STORE_FILE = 'client.sqlite';
const LOG_LEVELS = ['Off', 'Error', 'Warn', 'Info', 'Debug', 'Trace'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

export interface CliOptions {
  api: string;
  state: string;
  sync: boolean;
  log: LogLevel;
  help: boolean;
  command: string | undefined;
  args: string[];
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const o: CliOptions = {
    api: env.XMTP_CLI_API || 'http://localhost:5556',
    state: env.XMTP_CLI_STATE || '',
    sync: false,
    log: 'Off',
    help: false,
    command: undefined,
    args: [],
  };
  let log = env.XMTP_CLI_LOG || 'Off';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[i + 1];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      i++;
      return v;
    };
    if (a === '--api') o.api = val();
    else if (a === '--state') o.state = val();
    else if (a === '--log') log = val();
    else if (a === '--sync') o.sync = true;
    else if (a === '-h' || a === '--help') o.help = true;
    else if (a.startsWith('--') && rest.length === 0) throw new UsageError(`unknown option ${a}`);
    else rest.push(a);
  }
  const level = LOG_LEVELS.find((l) => l.toLowerCase() === log.toLowerCase());
  if (!level) throw new UsageError(`--log must be one of ${LOG_LEVELS.join('|')}`);
  o.log = level;
  o.command = rest.shift();
  o.args = rest;
  return o;
}

// ---------- identity.json ----------

interface IdentityFile {
  privateKey: `0x${string}`;
  address: string;
  created: boolean;
}

function loadIdentity(state: string, create: boolean): IdentityFile {
  const file = path.join(state, 'identity.json');
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { privateKey?: unknown; address?: unknown };
    if (typeof parsed.privateKey !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(parsed.privateKey)) throw new Error(`${file}: privateKey is not a 32-byte hex key`);
    const address = privateKeyToAccount(parsed.privateKey as `0x${string}`).address.toLowerCase();
    if (typeof parsed.address === 'string' && parsed.address.toLowerCase() !== address) throw new Error(`${file}: address does not match the private key`);
    return { privateKey: parsed.privateKey as `0x${string}`, address, created: false };
  }
  if (!create) throw new Error(`no identity in ${state}: run 'init' first`);
  mkdirSync(state, { recursive: true });
  const privateKey = generatePrivateKey();
  const address = privateKeyToAccount(privateKey).address.toLowerCase();
  writeFileSync(file, JSON.stringify({ privateKey, address }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { privateKey, address, created: true };
}

// ---------- command context ----------

interface Context {
  readonly o: CliOptions;
  readonly api: XmtpApi;
  readonly store: SqliteClientStore;
  readonly identity: IdentityFile;
  readonly client: XmtpClient;
  readonly log: (level: LogLevel, message: string) => void;
}

const isHex = (s: string): boolean => /^[0-9a-fA-F]+$/.test(s) && s.length % 2 === 0;
const installationIdOf = (client: XmtpClient): string => Buffer.from(client.installation.publicKey).toString('hex');

async function resolveInbox(ctx: Context, who: string): Promise<string> {
  if (!isEthereumAddress(who)) {
    if (!/^[0-9a-fA-F]{64}$/.test(who)) throw new UsageError(`not an inbox id (64 hex) or an address (0x + 40 hex): ${who}`);
    return who.toLowerCase();
  }
  const { responses } = await ctx.api.identity.getInboxIds({ requests: [{ identifier: who.toLowerCase(), identifierKind: IdentifierKind.ETHEREUM }] });
  const inboxId = responses[0]?.inboxId;
  if (!inboxId) throw new Error(`address ${who} is not registered on the network`);
  return inboxId;
}

async function findConversation(ctx: Context, id: string): Promise<StoredGroup | undefined> {
  return ctx.client.store.get<StoredGroup>(ConversationTables.groups, id.toLowerCase());
}

/** The conversation, after syncing welcomes once if it is not known yet (as the peer). */
async function getConversation(ctx: Context, id: string): Promise<StoredGroup> {
  if (!isHex(id)) throw new UsageError(`not a conversation id (hex): ${id}`);
  let record = await findConversation(ctx, id);
  if (!record) {
    await syncWelcomes(ctx.client);
    record = await findConversation(ctx, id);
  }
  if (!record) throw new Error(`conversation ${id} not found (try 'sync')`);
  return record;
}

interface SyncSummary {
  numEligible: number;
  numSynced: number;
  conversations: number;
}

/** syncWelcomes + syncGroup for every active conversation (the peer's `syncAll`). */
async function syncAll(ctx: Context): Promise<SyncSummary> {
  const welcomes = await syncWelcomes(ctx.client);
  for (const s of welcomes.skipped) ctx.log('Warn', `welcome ${s.id} skipped: ${s.error.message}`);
  const conversations = await listConversationRecords(ctx.client);
  let numEligible = 0;
  let numSynced = 0;
  for (const { id, record } of conversations) {
    numEligible++;
    try {
      const r = await syncGroup(ctx.client, { groupId: record.groupId });
      for (const s of r.skipped) ctx.log('Warn', `conversation ${id}: message ${s.id} skipped: ${s.error.message}`);
      numSynced++;
    } catch (error) {
      ctx.log('Warn', `conversation ${id}: sync failed: ${(error as Error).message}`);
    }
  }
  return { numEligible, numSynced, conversations: conversations.length };
}

async function findMessage(ctx: Context, record: StoredGroup, messageId: string): Promise<DecodedMessage> {
  const find = async () => (await listMessages(ctx.client, { groupId: record.groupId })).find((m) => m.id === messageId.toLowerCase());
  let m = await find();
  if (!m) {
    await syncGroup(ctx.client, { groupId: record.groupId });
    m = await find();
  }
  if (!m) throw new Error(`message ${messageId} not found in local database (try 'sync')`);
  return m;
}

// ---------- wait-message ----------

async function waitMessage(ctx: Context, target: string, needle: string, timeoutSec: number): Promise<{ message: DecodedMessage; via: 'poll' | 'stream' } | undefined> {
  const { client } = ctx;
  const deadline = Date.now() + timeoutSec * 1000;
  const scan = async (): Promise<DecodedMessage | undefined> => {
    let records: StoredGroup[];
    if (target === 'any') {
      await syncAll(ctx);
      records = (await listConversationRecords(client)).map((c) => c.record);
    } else {
      let record = await findConversation(ctx, target);
      if (!record) {
        await syncWelcomes(client);
        record = await findConversation(ctx, target);
      }
      if (!record) return undefined; // not joined yet: keep waiting
      try {
        await syncGroup(client, { groupId: record.groupId });
      } catch (error) {
        ctx.log('Warn', `conversation ${target}: sync failed: ${(error as Error).message}`);
      }
      records = [record];
    }
    for (const record of records) {
      for (const m of await listMessages(client, { groupId: record.groupId })) {
        if (m.senderInboxId !== client.inboxId && (await messageText(client, m)).includes(needle)) return m;
      }
    }
    return undefined;
  };
  const found = await scan();
  if (found) return { message: found, via: 'poll' };
  const left = deadline - Date.now();
  if (left <= 0) return undefined;
  // Then live: the node's streams (conversations joined meanwhile included), until the deadline.
  const wanted = target === 'any' ? undefined : target.toLowerCase();
  const stream = streamMessages(client, { signal: AbortSignal.timeout(left), onError: (e) => ctx.log('Warn', `stream: ${e.message}`) });
  for await (const m of stream) {
    if (wanted !== undefined && m.conversationId !== wanted) continue;
    if (m.senderInboxId !== client.inboxId && (await messageText(client, m)).includes(needle)) return { message: m, via: 'stream' };
  }
  return undefined;
}

// ---------- commands ----------

type CommandResult = { output: unknown; code?: number };

async function runCommand(ctx: Context): Promise<CommandResult> {
  const { o, client } = ctx;
  const a = o.args;
  const need = (n: number, what: string): void => {
    if (a.length < n) throw new UsageError(`${o.command}: expected ${what}`);
  };
  const textArg = (from: number): string => a.slice(from).join(' ');
  switch (o.command) {
    case 'whoami': {
      let isRegistered = false;
      try {
        const state = await fetchAssociationState({ api: ctx.api.identity, inboxId: client.inboxId });
        isRegistered = getInstallationIds(state).some((k) => Buffer.from(k).equals(Buffer.from(client.installation.publicKey)));
      } catch (error) {
        ctx.log('Warn', `inbox state: ${(error as Error).message}`);
      }
      return { output: identityJson(ctx, isRegistered, undefined) };
    }
    case 'init':
      return { output: identityJson(ctx, true, ctx.identity.created) };
    case 'dm': {
      need(2, '<inboxId|address> <text>');
      const peerInboxId = await resolveInbox(ctx, a[0]!);
      await syncWelcomes(client);
      const dm = await createDm(client, { peerInboxId });
      const sent = await sendText(client, { groupId: dm.groupId, text: textArg(1) });
      return { output: { conversationId: dm.id, messageId: sent.messageId, peerInboxId } };
    }
    case 'send': {
      need(2, '<conversationId> <text>');
      const record = await getConversation(ctx, a[0]!);
      const sent = await sendText(client, { groupId: record.groupId, text: textArg(1) });
      return { output: { conversationId: a[0]!.toLowerCase(), messageId: sent.messageId } };
    }
    case 'react': {
      need(3, '<conversationId> <messageId> <emoji>');
      const record = await getConversation(ctx, a[0]!);
      const m = await findMessage(ctx, record, a[1]!);
      const sent = await sendReaction(client, { groupId: record.groupId, messageId: m.id, emoji: a[2]! });
      return { output: { conversationId: a[0]!.toLowerCase(), messageId: sent.messageId } };
    }
    case 'reply': {
      need(3, '<conversationId> <messageId> <text>');
      const record = await getConversation(ctx, a[0]!);
      const m = await findMessage(ctx, record, a[1]!);
      const sent = await sendReply(client, { groupId: record.groupId, messageId: m.id, text: textArg(2) });
      return { output: { conversationId: a[0]!.toLowerCase(), messageId: sent.messageId } };
    }
    case 'sync':
      return { output: await syncAll(ctx) };
    case 'list': {
      // DMs with the same member are stitched: listed once (as libxmtp's conversations.list()).
      const shown = new Set((await listConversations(client)).map((c) => c.id));
      const conversations = (await listConversationRecords(client)).filter(({ id }) => shown.has(id));
      return { output: { conversations: conversations.map(({ id, record }) => formatConversation(client, id, record)) } };
    }
    case 'messages': {
      need(1, '<conversationId>');
      const record = await getConversation(ctx, a[0]!);
      const messages = await listMessages(client, { groupId: record.groupId });
      return { output: { conversationId: a[0]!.toLowerCase(), messages: await formatMessages(client, messages) } };
    }
    case 'wait-message': {
      need(2, '<conversationId|any> <textSubstring> [timeoutSec]');
      const timeoutSec = a[2] ? Number(a[2]) : 30;
      if (!(timeoutSec > 0)) throw new UsageError('wait-message: timeoutSec must be a positive number');
      const target = a[0]!.toLowerCase();
      if (target !== 'any' && !isHex(target)) throw new UsageError(`not a conversation id (hex) or 'any': ${a[0]!}`);
      const t0 = Date.now();
      const found = await waitMessage(ctx, target, a[1]!, timeoutSec);
      if (!found) {
        process.stderr.write(`cli: wait-message: no message containing ${JSON.stringify(a[1])} within ${timeoutSec}s\n`);
        return { output: { found: false, waitedMs: Date.now() - t0 }, code: 1 };
      }
      const all = await listMessages(client, { groupId: hexToBytes(found.message.conversationId) });
      return { output: { found: true, via: found.via, waitedMs: Date.now() - t0, message: await formatMessage(client, found.message, all) } };
    }
    case 'group-create': {
      need(1, '<name> [inboxId|address...]');
      const memberInboxIds = await Promise.all(a.slice(1).map((w) => resolveInbox(ctx, w)));
      const group = await createGroup(client, { name: a[0]!, memberInboxIds });
      const record = await getConversation(ctx, group.id);
      return { output: formatConversation(client, group.id, record) };
    }
    case 'group-add': {
      need(2, '<conversationId> <inboxId|address...>');
      const record = await getConversation(ctx, a[0]!);
      const inboxIds = await Promise.all(a.slice(1).map((w) => resolveInbox(ctx, w)));
      await addMembers(client, { groupId: record.groupId, inboxIds });
      const id = a[0]!.toLowerCase();
      return { output: formatConversation(client, id, (await findConversation(ctx, id))!) };
    }
    case 'leave': {
      need(1, '<conversationId>');
      const record = await getConversation(ctx, a[0]!);
      await leaveGroup(client, { groupId: record.groupId });
      const id = a[0]!.toLowerCase();
      const conv = (await listConversations(client)).find((c) => c.id === id)!;
      return { output: { conversationId: id, isPendingRemoval: conv.isPendingRemoval, isActive: conv.isActive } };
    }
    default:
      throw new UsageError(`unknown command ${o.command ?? ''}`);
  }
}

function identityJson(ctx: Context, isRegistered: boolean, created: boolean | undefined) {
  return {
    address: ctx.identity.address,
    inboxId: ctx.client.inboxId,
    installationId: installationIdOf(ctx.client),
    isRegistered,
    created,
    // not libxmtp: kept (null) so the field set matches the peer's
    libxmtpVersion: null,
    apiUrl: ctx.o.api,
  };
}

const KNOWN_COMMANDS = new Set(['init', 'whoami', 'dm', 'send', 'react', 'reply', 'sync', 'list', 'messages', 'wait-message', 'group-create', 'group-add', 'leave']);

/** Runs one command line; prints the JSON result (stdout) or the error (stderr); returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let store: SqliteClientStore | undefined;
  try {
    const o = parseArgs(argv);
    if (o.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (!o.command) throw new UsageError('no command');
    if (!KNOWN_COMMANDS.has(o.command)) throw new UsageError(`unknown command ${o.command}`);
    if (!o.state) throw new UsageError('--state DIR (or XMTP_CLI_STATE) is required');
    const threshold = LOG_LEVELS.indexOf(o.log);
    const log = (level: LogLevel, message: string): void => {
      if (threshold > 0 && LOG_LEVELS.indexOf(level) <= threshold) process.stderr.write(`cli: ${level.toLowerCase()}: ${message}\n`);
    };
    const t0 = performance.now();
    const identity = loadIdentity(o.state, o.command === 'init');
    const api = createXmtpApi({ node: o.api });
    const storeFile = path.join(o.state, STORE_FILE);
    if (o.command !== 'init' && !existsSync(storeFile)) throw new Error(`no client database in ${o.state}: run 'init' first`);
    store = openSqliteClientStore(storeFile);
    const signer = createEoaSigner({ account: privateKeyToAccount(identity.privateKey) });
    const client =
      o.command === 'init' ? await createClient({ api, store, identity: signer, reuseKeyPackage: true }) : await openClient({ api, store });
    log('Debug', `client ready in ${Math.round(performance.now() - t0)} ms`);
    const ctx: Context = { o, api, store, identity, client, log };
    if (o.sync) await syncAll(ctx);
    const { output, code = 0 } = await runCommand(ctx);
    process.stdout.write(JSON.stringify(toJson(output)) + '\n');
    log('Debug', `${o.command} done in ${Math.round(performance.now() - t0)} ms`);
    return code;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`cli: error: ${message}\n`);
    if (error instanceof UsageError) process.stderr.write(USAGE + '\n');
    return 2;
  } finally {
    store?.close();
  }
}
