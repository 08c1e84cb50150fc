// libxmtp-peer.mjs — the project's libxmtp peer: drives one REAL XMTP client (@xmtp/node-sdk 6.0.0 =
// libxmtp 1.10) from the command line, for the interop tests (interop/harness.ts) and by hand.
// Adapted from the team's reference peer; same commands, options, JSON output, exit codes and
// identity.json format, plus `group-update-name`, `members` and `stream`.
// Needs Node 22 + glibc >= 2.38: run it with the wrapper printed by scripts/libxmtp-runtime.sh:
//   NODE22="$(scripts/libxmtp-runtime.sh)"
//   "$NODE22" interop/libxmtp-peer.mjs [--api URL] --state DIR [options] <command> [args]
// Packages come from $LIBXMTP_HOME/pkg (set by the wrapper; default <repo>/.libxmtp/pkg).
// Each command prints one JSON object on stdout (`stream` prints one line per event). Errors go
// to stderr (exit 2); `wait-message` and `stream` exit 1 on timeout.
import { Buffer } from "node:buffer";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const USAGE = `usage: node22 interop/libxmtp-peer.mjs [options] <command> [args]
options:
  --api URL         node gRPC endpoint (default $LIBXMTP_PEER_API or http://localhost:5556)
  --state DIR       identity + database folder (default $LIBXMTP_PEER_STATE; required)
  --env NAME        SDK env name (default local)
  --log LEVEL       libxmtp log level Off|Error|Warn|Info|Debug|Trace (default $LIBXMTP_PEER_LOG or Off)
  --device-sync     enable libxmtp device sync (default: disabled, disableDeviceSync=true)
  --sync            run conversations.syncAll() before the command
commands:
  init | whoami | installations | revoke-others | sync | list
  revoke <installationId...>
  add-account                  a new wallet (key kept in <state>/accounts.json) is linked to this inbox
  remove-account <address>     unlinks a wallet (signed by the recovery wallet)
  change-recovery <address>    makes <address> the inbox's recovery identifier
  inbox-state <inboxId...>     the association state libxmtp computes for any inboxes (from the node)
  resolve <identifier> [ethereum|passkey]   the inbox id registered for an identifier, or null
  dm <inboxId|address> <text>
  group-create <name> [inboxId|address...]
  group-add <conversationId> <inboxId|address...>
  group-remove <conversationId> <inboxId|address...>
  group-rename <conversationId> <name>      (alias: group-update-name)
  group-describe <conversationId> <description>
  admins-add <conversationId> <inboxId|address...>
  admins-remove <conversationId> <inboxId|address...>
  permissions <conversationId> [<action> <policy>]
      action: add-member|remove-member|add-admin|remove-admin|name|description|image|app-data
      policy: allow|deny|admin|super-admin
  leave <conversationId>
  debug <conversationId>      (sync, then epoch and maybeForked from libxmtp)
  send <conversationId> <text>
  react <conversationId> <messageId> <emoji>
  reply <conversationId> <messageId> <text>
  messages <conversationId>
  members <conversationId>
  consent <conversationId|inboxId|address> allow|deny
  wait-message <conversationId|any> <textSubstring> [timeoutSec=30]
  stream <conversationId|all> <count> <timeoutSec>
      opens a live message stream, prints {"ready":true}, then one JSON line per message
      received (own messages included); exits 0 after <count> messages, 1 on timeout`;

class UsageError extends Error {}

// ---------- argument parsing ----------
function parseArgs(argv) {
  const o = {
    api: process.env.LIBXMTP_PEER_API || "http://localhost:5556",
    state: process.env.LIBXMTP_PEER_STATE || "",
    env: "local",
    log: process.env.LIBXMTP_PEER_LOG || "Off",
    deviceSync: false,
    sync: false,
  };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--api") o.api = val();
    else if (a === "--state") o.state = val();
    else if (a === "--env") o.env = val();
    else if (a === "--log") o.log = val();
    else if (a === "--device-sync") o.deviceSync = true;
    else if (a === "--sync") o.sync = true;
    else if (a === "-h" || a === "--help") o.help = true;
    else rest.push(a);
  }
  o.command = rest.shift();
  o.args = rest;
  return o;
}

// ---------- JSON helpers ----------
// bigint -> decimal string, bytes -> hex, Date -> ISO string.
function plain(v, depth = 0) {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (v instanceof Date) return v.toISOString();
  if (v === null || typeof v !== "object") return typeof v === "function" ? undefined : v;
  if (depth > 8) return "[deep]";
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  const out = {};
  for (const k of Object.keys(v)) {
    const x = plain(v[k], depth + 1);
    if (x !== undefined) out[k] = x;
  }
  return out;
}
const print = (obj) => process.stdout.write(JSON.stringify(plain(obj)) + "\n");
const enumName = (E, v) => Object.getOwnPropertyNames(E).find((k) => E[k] === v) ?? v;

// ---------- dependencies (installed by scripts/libxmtp-runtime.sh) ----------
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LIBXMTP_HOME = process.env.LIBXMTP_HOME || path.join(REPO, ".libxmtp");
async function loadDeps() {
  const pkg = path.join(LIBXMTP_HOME, "pkg");
  if (!fs.existsSync(path.join(pkg, "node_modules", "@xmtp", "node-sdk", "package.json")))
    throw new Error(`${pkg}/node_modules/@xmtp/node-sdk missing: run scripts/libxmtp-runtime.sh first (LIBXMTP_HOME=${LIBXMTP_HOME})`);
  const req = createRequire(path.join(pkg, "package.json"));
  const load = (name) => import(pathToFileURL(req.resolve(name)).href);
  const [sdk, accounts, viem] = await Promise.all([load("@xmtp/node-sdk"), load("viem/accounts"), load("viem")]);
  return { sdk, generatePrivateKey: accounts.generatePrivateKey, privateKeyToAccount: accounts.privateKeyToAccount, hexToBytes: viem.hexToBytes };
}

// ---------- identity ----------
function identityFile(o) {
  if (!o.state) throw new UsageError("--state DIR (or LIBXMTP_PEER_STATE) is required");
  return path.join(o.state, "identity.json");
}
function loadIdentity(o, deps, create) {
  const f = identityFile(o);
  if (fs.existsSync(f)) return { ...JSON.parse(fs.readFileSync(f, "utf8")), created: false };
  if (!create) throw new Error(`no identity in ${o.state}: run 'init' first`);
  fs.mkdirSync(o.state, { recursive: true });
  const privateKey = deps.generatePrivateKey();
  const address = deps.privateKeyToAccount(privateKey).address.toLowerCase();
  fs.writeFileSync(f, JSON.stringify({ privateKey, address }, null, 2) + "\n", { mode: 0o600 });
  return { privateKey, address, created: true };
}
function makeSigner(deps, privateKey) {
  const { sdk } = deps;
  const account = deps.privateKeyToAccount(privateKey);
  const address = account.address.toLowerCase();
  return {
    type: "EOA",
    getIdentifier: () => ({ identifier: address, identifierKind: sdk.IdentifierKind.Ethereum }),
    signMessage: async (text) => deps.hexToBytes(await account.signMessage({ message: text })),
  };
}
async function openClient(o, deps, id) {
  return deps.sdk.Client.create(makeSigner(deps, id.privateKey), {
    env: o.env,
    apiUrl: o.api,
    dbPath: path.join(o.state, "xmtp.db3"),
    disableDeviceSync: !o.deviceSync,
    loggingLevel: o.log,
  });
}

// ---------- lookups ----------
const isAddress = (s) => /^0x[0-9a-fA-F]{40}$/.test(s);
async function resolveInbox(client, sdk, who) {
  if (!isAddress(who)) return who;
  const inboxId = await client.fetchInboxIdByIdentifier({ identifier: who.toLowerCase(), identifierKind: sdk.IdentifierKind.Ethereum });
  if (!inboxId) throw new Error(`address ${who} is not registered on the network`);
  return inboxId;
}
const resolveInboxes = (client, sdk, list) => Promise.all(list.map((w) => resolveInbox(client, sdk, w)));
async function getConversation(client, id) {
  let c = await client.conversations.getConversationById(id);
  if (!c) { await client.conversations.sync(); c = await client.conversations.getConversationById(id); }
  if (!c) throw new Error(`conversation ${id} not found (try 'sync')`);
  return c;
}
async function getGroup(client, id) {
  const c = await getConversation(client, id);
  if (typeof c.updateName !== "function") throw new Error(`conversation ${id} is not a group`);
  return c;
}

// ---------- formatting ----------
const typeString = (t) => (t ? `${t.authorityId}/${t.typeId}:${t.versionMajor}.${t.versionMinor}` : null);
function messageText(m) {
  const c = m.content;
  if (typeof c === "string") return c;
  if (c && typeof c.content === "string") return c.content; // reply (EnrichedReply) or reaction
  return m.fallback ?? "";
}
function formatMessage(sdk, m) {
  let content = m.content;
  if (content && typeof content === "object" && "inReplyTo" in content) {
    const r = content.inReplyTo;
    content = { ...content, contentType: typeString(content.contentType), inReplyTo: r ? { id: r.id, senderInboxId: r.senderInboxId } : null };
  }
  return {
    id: m.id,
    conversationId: m.conversationId,
    senderInboxId: m.senderInboxId,
    contentType: typeString(m.contentType),
    kind: enumName(sdk.GroupMessageKind, m.kind),
    deliveryStatus: enumName(sdk.DeliveryStatus, m.deliveryStatus),
    content,
    fallback: m.fallback,
    text: messageText(m),
    sentAtNs: m.sentAtNs,
    numReplies: m.numReplies,
    // libxmtp attaches reactions to the message they react to
    reactions: (m.reactions ?? []).map((r) => ({
      id: r.id,
      senderInboxId: r.senderInboxId,
      action: enumName(sdk.ReactionAction, r.content?.action),
      content: r.content?.content,
      sentAtNs: r.sentAtNs,
    })),
  };
}
async function formatConversation(sdk, c) {
  const isGroup = typeof c.updateName === "function";
  const members = await c.members();
  return {
    id: c.id,
    type: isGroup ? "group" : "dm",
    name: isGroup ? c.name : null,
    description: isGroup ? c.description : undefined,
    peerInboxId: isGroup ? undefined : c.peerInboxId,
    consentState: enumName(sdk.ConsentState, c.consentState()),
    isActive: c.isActive,
    createdAtNs: c.createdAtNs,
    admins: isGroup ? c.listAdmins() : undefined,
    superAdmins: isGroup ? c.listSuperAdmins() : undefined,
    members: members.map((m) => ({
      inboxId: m.inboxId,
      installationIds: m.installationIds,
      permissionLevel: enumName(sdk.PermissionLevel, m.permissionLevel),
      consentState: enumName(sdk.ConsentState, m.consentState),
    })),
  };
}
async function findMessage(client, conv, messageId) {
  let m = client.conversations.getMessageById(messageId);
  if (!m) { await conv.sync(); m = client.conversations.getMessageById(messageId); }
  if (!m) throw new Error(`message ${messageId} not found in local database (try 'sync')`);
  return m;
}
async function installations(client) {
  const st = await client.preferences.fetchInboxState();
  return {
    inboxId: st.inboxId,
    recoveryIdentifier: st.recoveryIdentifier,
    identifiers: st.identifiers,
    installations: st.installations.map((i) => ({ id: i.id, clientTimestampNs: i.clientTimestampNs, current: i.id === client.installationId })),
  };
}

// ---------- permissions ----------
// CLI action -> [PermissionUpdateType name, MetadataField name or undefined]
const PERMISSION_ACTIONS = {
  "add-member": ["AddMember"], "remove-member": ["RemoveMember"],
  "add-admin": ["AddAdmin"], "remove-admin": ["RemoveAdmin"],
  name: ["UpdateMetadata", "GroupName"], description: ["UpdateMetadata", "Description"],
  image: ["UpdateMetadata", "GroupImageUrlSquare"], "app-data": ["UpdateMetadata", "AppData"],
};
const PERMISSION_POLICIES = { allow: "Allow", deny: "Deny", admin: "Admin", "super-admin": "SuperAdmin" };
function formatPermissions(sdk, g) {
  const p = g.permissions();
  const policySet = {};
  for (const [k, v] of Object.entries(p.policySet)) policySet[k] = enumName(sdk.PermissionPolicy, v);
  return { conversationId: g.id, policyType: enumName(sdk.GroupPermissionsOptions, p.policyType), policySet };
}

// ---------- wait-message ----------
async function waitMessage(client, sdk, target, needle, timeoutSec) {
  const deadline = Date.now() + timeoutSec * 1000;
  const matches = (m) => m.senderInboxId !== client.inboxId && (target === "any" || m.conversationId === target) && messageText(m).includes(needle);
  let found = null;
  let via = null;
  const scan = async () => {
    if (target === "any") await client.conversations.syncAll();
    else {
      // a group we were removed from is inactive and refuses to sync: scan what we have, keep waiting
      try { await (await getConversation(client, target)).sync(); } catch (e) { if (!/inactive/i.test(e.message)) throw e; }
    }
    const convs = target === "any" ? await client.conversations.list() : [await getConversation(client, target)];
    for (const c of convs)
      for (const m of await c.messages()) for (const x of [m, ...(m.reactions ?? [])]) if (matches(x)) return x;
    return null;
  };
  // Stream for low latency; poll (sync + scan) as a fallback for anything the stream misses.
  const stream = await client.conversations
    .streamAllMessages({
      retryOnFail: false,
      onValue: (m) => { if (!found && matches(m)) { found = m; via = "stream"; } },
      onError: () => {},
    })
    .catch(() => null);
  while (!found && Date.now() < deadline) {
    try { if (!found) { const m = await scan(); if (m && !found) { found = m; via = "poll"; } } } catch (e) { if (!/not found/.test(e.message)) throw e; }
    for (let t = 0; !found && t < 20 && Date.now() < deadline; t++) await new Promise((r) => setTimeout(r, 100));
  }
  if (stream) stream.end().catch(() => {});
  return found && { message: found, via };
}

// ---------- stream ----------
// Opens the stream (the SDK resolves once libxmtp reports it ready, i.e. subscribed on the node),
// then prints {"ready":true}; every message received is printed as one line, in arrival order.
async function streamMessages(client, sdk, target, count, timeoutSec) {
  let received = 0;
  let failure = null;
  let finish;
  const done = new Promise((r) => { finish = r; });
  const options = {
    retryOnFail: false,
    onValue: (m) => {
      if (received >= count) return;
      received++;
      print(formatMessage(sdk, m));
      if (received >= count) finish(true);
    },
    onError: (e) => { failure = e; finish(false); },
  };
  const stream = target === "all"
    ? await client.conversations.streamAllMessages(options)
    : await (await getConversation(client, target)).stream(options);
  if (failure) throw new Error(`stream failed to start: ${failure?.message ?? failure}`);
  print({ ready: true });
  const timer = setTimeout(() => finish(false), timeoutSec * 1000);
  const ok = await done;
  clearTimeout(timer);
  await stream.end().catch(() => {});
  if (failure) throw new Error(`stream failed after ${received} message(s): ${failure?.message ?? failure}`);
  if (!ok) {
    console.error(`peer: stream: ${received} of ${count} message(s) within ${timeoutSec}s`);
    print({ timeout: true, received });
    return 1;
  }
  return 0;
}

// ---------- main ----------
async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.help || !o.command) { console.log(USAGE); return o.help ? 0 : 2; }
  const deps = await loadDeps();
  const { sdk } = deps;
  const id = loadIdentity(o, deps, o.command === "init");
  const client = await openClient(o, deps, id);
  if (o.sync) await client.conversations.syncAll();
  const a = o.args;
  const need = (n, what) => { if (a.length < n) throw new UsageError(`${o.command}: expected ${what}`); };

  switch (o.command) {
    case "init":
    case "whoami":
      print({
        address: id.address,
        inboxId: client.inboxId,
        installationId: client.installationId,
        isRegistered: client.isRegistered,
        created: o.command === "init" ? id.created : undefined,
        libxmtpVersion: client.libxmtpVersion,
        apiUrl: o.api,
      });
      break;
    case "dm": {
      need(2, "<inboxId|address> <text>");
      const inboxId = await resolveInbox(client, sdk, a[0]);
      await client.conversations.sync();
      const dm = client.conversations.getDmByInboxId(inboxId) ?? (await client.conversations.createDm(inboxId));
      const messageId = await dm.sendText(a.slice(1).join(" "));
      print({ conversationId: dm.id, messageId, peerInboxId: inboxId });
      break;
    }
    case "group-create": {
      need(1, "<name> [inboxId|address...]");
      const ids = await resolveInboxes(client, sdk, a.slice(1));
      const g = await client.conversations.createGroup(ids, { groupName: a[0] });
      print(await formatConversation(sdk, g));
      break;
    }
    case "group-add":
    case "group-remove": {
      need(2, "<conversationId> <inboxId|address...>");
      const g = await getGroup(client, a[0]);
      const ids = await resolveInboxes(client, sdk, a.slice(1));
      if (o.command === "group-add") await g.addMembers(ids); else await g.removeMembers(ids);
      print(await formatConversation(sdk, g));
      break;
    }
    case "group-rename":
    case "group-update-name": {
      need(2, "<conversationId> <name>");
      const g = await getGroup(client, a[0]);
      await g.updateName(a.slice(1).join(" "));
      print({ conversationId: g.id, name: g.name });
      break;
    }
    case "group-describe": {
      need(2, "<conversationId> <description>");
      const g = await getGroup(client, a[0]);
      await g.updateDescription(a.slice(1).join(" "));
      print({ conversationId: g.id, description: g.description });
      break;
    }
    case "admins-add":
    case "admins-remove": {
      need(2, "<conversationId> <inboxId|address...>");
      const g = await getGroup(client, a[0]);
      for (const inboxId of await resolveInboxes(client, sdk, a.slice(1))) {
        if (o.command === "admins-add") await g.addAdmin(inboxId); else await g.removeAdmin(inboxId);
      }
      print(await formatConversation(sdk, g));
      break;
    }
    case "permissions": {
      need(1, "<conversationId> [<action> <policy>]");
      const g = await getGroup(client, a[0]);
      if (a.length > 1) {
        const act = PERMISSION_ACTIONS[a[1]];
        const pol = PERMISSION_POLICIES[a[2]];
        if (!act || !pol) throw new UsageError(`permissions: action must be one of ${Object.keys(PERMISSION_ACTIONS).join("|")}, policy one of ${Object.keys(PERMISSION_POLICIES).join("|")}`);
        await g.updatePermission(sdk.PermissionUpdateType[act[0]], sdk.PermissionPolicy[pol], act[1] === undefined ? undefined : sdk.MetadataField[act[1]]);
      }
      print(formatPermissions(sdk, g));
      break;
    }
    case "leave": {
      need(1, "<conversationId>");
      const g = await getGroup(client, a[0]);
      await g.requestRemoval();
      print({ conversationId: g.id, isPendingRemoval: g.isPendingRemoval(), isActive: g.isActive });
      break;
    }
    case "debug": {
      need(1, "<conversationId>");
      const c = await getConversation(client, a[0]);
      await c.sync();
      const d = await c.debugInfo();
      print({ conversationId: c.id, epoch: String(d.epoch), maybeForked: d.maybeForked, forkDetails: d.forkDetails });
      break;
    }
    case "send": {
      need(2, "<conversationId> <text>");
      const c = await getConversation(client, a[0]);
      print({ conversationId: c.id, messageId: await c.sendText(a.slice(1).join(" ")) });
      break;
    }
    case "react": {
      need(3, "<conversationId> <messageId> <emoji>");
      const c = await getConversation(client, a[0]);
      const m = await findMessage(client, c, a[1]);
      const messageId = await c.sendReaction({
        reference: m.id,
        referenceInboxId: m.senderInboxId,
        action: sdk.ReactionAction.Added,
        content: a[2],
        schema: sdk.ReactionSchema.Unicode,
      });
      print({ conversationId: c.id, messageId });
      break;
    }
    case "reply": {
      need(3, "<conversationId> <messageId> <text>");
      const c = await getConversation(client, a[0]);
      const m = await findMessage(client, c, a[1]);
      const messageId = await c.sendReply({ reference: m.id, referenceInboxId: m.senderInboxId, content: sdk.encodeText(a.slice(2).join(" ")) });
      print({ conversationId: c.id, messageId });
      break;
    }
    case "sync": {
      const summary = await client.conversations.syncAll();
      print({ ...summary, conversations: (await client.conversations.list()).length });
      break;
    }
    case "list": {
      // include Denied conversations too (the SDK default lists Allowed + Unknown only)
      const { Allowed, Unknown, Denied } = sdk.ConsentState;
      const convs = await client.conversations.list({ consentStates: [Allowed, Unknown, Denied] });
      print({ conversations: await Promise.all(convs.map((c) => formatConversation(sdk, c))) });
      break;
    }
    case "messages": {
      need(1, "<conversationId>");
      const c = await getConversation(client, a[0]);
      if (o.sync) await c.sync();
      print({ conversationId: c.id, messages: (await c.messages()).map((m) => formatMessage(sdk, m)) });
      break;
    }
    case "members": {
      need(1, "<conversationId>");
      const c = await getConversation(client, a[0]);
      if (o.sync) await c.sync();
      const { members } = await formatConversation(sdk, c);
      print({ conversationId: c.id, members });
      break;
    }
    case "stream": {
      need(3, "<conversationId|all> <count> <timeoutSec>");
      const count = Number(a[1]);
      const timeoutSec = Number(a[2]);
      if (!(Number.isInteger(count) && count > 0)) throw new UsageError("stream: count must be a positive integer");
      if (!(timeoutSec > 0)) throw new UsageError("stream: timeoutSec must be a positive number");
      return streamMessages(client, sdk, a[0], count, timeoutSec);
    }
    case "consent": {
      need(2, "<conversationId|inboxId|address> allow|deny");
      const state = { allow: sdk.ConsentState.Allowed, deny: sdk.ConsentState.Denied }[a[1]];
      if (state === undefined) throw new UsageError("consent: state must be allow or deny");
      const conv = isAddress(a[0]) ? undefined : await client.conversations.getConversationById(a[0]);
      if (conv) {
        conv.updateConsentState(state);
        print({ conversationId: conv.id, consentState: enumName(sdk.ConsentState, conv.consentState()) });
      } else {
        const inboxId = await resolveInbox(client, sdk, a[0]);
        await client.preferences.setConsentStates([{ entityType: sdk.ConsentEntityType.InboxId, entity: inboxId, state }]);
        const now = await client.preferences.getConsentState(sdk.ConsentEntityType.InboxId, inboxId);
        print({ inboxId, consentState: enumName(sdk.ConsentState, now) });
      }
      break;
    }
    case "wait-message": {
      need(2, "<conversationId|any> <textSubstring> [timeoutSec]");
      const timeoutSec = a[2] ? Number(a[2]) : 30;
      if (!(timeoutSec > 0)) throw new UsageError("wait-message: timeoutSec must be a positive number");
      const t0 = Date.now();
      const r = await waitMessage(client, sdk, a[0], a[1], timeoutSec);
      if (!r) {
        console.error(`peer: wait-message: no message containing ${JSON.stringify(a[1])} within ${timeoutSec}s`);
        print({ found: false, waitedMs: Date.now() - t0 });
        return 1;
      }
      print({ found: true, via: r.via, waitedMs: Date.now() - t0, message: formatMessage(sdk, r.message) });
      break;
    }
    case "installations":
      print(await installations(client));
      break;
    case "revoke-others":
      await client.revokeAllOtherInstallations();
      print(await installations(client));
      break;
    case "add-account": {
      const accountsFile = path.join(o.state, "accounts.json");
      const accounts = fs.existsSync(accountsFile) ? JSON.parse(fs.readFileSync(accountsFile, "utf8")) : [];
      const privateKey = deps.generatePrivateKey();
      const address = deps.privateKeyToAccount(privateKey).address.toLowerCase();
      await client.unsafe_addAccount(makeSigner(deps, privateKey), true); // libxmtp 1.10 refuses without allowInboxReassign
      accounts.push({ privateKey, address });
      fs.writeFileSync(accountsFile, JSON.stringify(accounts, null, 2) + "\n", { mode: 0o600 });
      print({ added: address, ...(await installations(client)) });
      break;
    }
    case "remove-account":
      need(1, "<address>");
      await client.removeAccount({ identifier: a[0].toLowerCase(), identifierKind: sdk.IdentifierKind.Ethereum });
      print(await installations(client));
      break;
    case "change-recovery":
      need(1, "<address>");
      await client.changeRecoveryIdentifier({ identifier: a[0].toLowerCase(), identifierKind: sdk.IdentifierKind.Ethereum });
      print(await installations(client));
      break;
    case "inbox-state": {
      need(1, "<inboxId...>");
      const states = await client.preferences.fetchInboxStates(a);
      print({
        states: states.map((st) => ({
          inboxId: st.inboxId,
          recoveryIdentifier: st.recoveryIdentifier,
          identifiers: st.identifiers,
          installations: st.installations.map((i) => ({ id: i.id, clientTimestampNs: i.clientTimestampNs })),
        })),
      });
      break;
    }
    case "resolve": {
      need(1, "<identifier> [ethereum|passkey]");
      const kind = a[1] === "passkey" ? sdk.IdentifierKind.Passkey : sdk.IdentifierKind.Ethereum;
      print({ inboxId: (await client.fetchInboxIdByIdentifier({ identifier: a[0].toLowerCase(), identifierKind: kind })) ?? null });
      break;
    }
    case "revoke": {
      need(1, "<installationId...>");
      if (!a.every((x) => /^(0x)?[0-9a-fA-F]+$/.test(x))) throw new UsageError("revoke: installation ids are hex");
      await client.revokeInstallations(a.map((x) => deps.hexToBytes(x.startsWith("0x") ? x : `0x${x}`)));
      print(await installations(client));
      break;
    }
    default:
      throw new UsageError(`unknown command ${o.command}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`peer: error: ${e?.message ?? e}`);
    if (e instanceof UsageError) console.error(USAGE);
    process.exit(2);
  },
);
