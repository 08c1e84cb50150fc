// libxmtp side of `npm run bench:client` (bench/client-bench.ts): times the same scenarios with the
// real client (@xmtp/node-sdk 6.0.0 = libxmtp 1.10), every client inside this one Node 22 process,
// against the node the benchmark started. Adapted from the team's libxmtp-bench harness.
//
//   node22 bench/libxmtp-side.mjs <input.json> <output.json>
//
// input.json: { nodeUrl, counts, only, peers: { dm: [inboxId...], group50: [...], group250: [...], add: [...] } }
//   (the inboxes are registered by our client with a key package on the node: real members)
// output.json: { sdk, scenarios: { register, dm, latency, group50, add250, coldSync } } — raw samples in ms.
// Progress on stderr. Packages come from $LIBXMTP_HOME/pkg (set by the node22 wrapper; default
// <repo>/.libxmtp/pkg), imported as interop/libxmtp-peer.mjs does.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const [inFile, outFile] = process.argv.slice(2);
if (!inFile || !outFile) {
  console.error("usage: node22 bench/libxmtp-side.mjs <input.json> <output.json>");
  process.exit(2);
}
const input = JSON.parse(fs.readFileSync(inFile, "utf8"));
const C = input.counts;
const only = input.only ? new Set(input.only) : null;
const run = (name) => !only || only.has(name);

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LIBXMTP_HOME = process.env.LIBXMTP_HOME || path.join(REPO, ".libxmtp");
const pkg = path.join(LIBXMTP_HOME, "pkg");
const req = createRequire(path.join(pkg, "package.json"));
const load = (name) => import(pathToFileURL(req.resolve(name)).href);
const [sdk, accounts, viem] = await Promise.all([load("@xmtp/node-sdk"), load("viem/accounts"), load("viem")]);
const sdkVersion = JSON.parse(fs.readFileSync(path.join(pkg, "node_modules/@xmtp/node-sdk/package.json"), "utf8")).version;

const now = () => performance.now();
const T0 = now();
const log = (...a) => console.error(`[libxmtp ${((now() - T0) / 1000).toFixed(1).padStart(6)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function newSigner() {
  const account = accounts.privateKeyToAccount(accounts.generatePrivateKey());
  const address = account.address.toLowerCase();
  return {
    type: "EOA",
    getIdentifier: () => ({ identifier: address, identifierKind: sdk.IdentifierKind.Ethereum }),
    signMessage: async (text) => viem.hexToBytes(await account.signMessage({ message: text })),
  };
}
const clientOpts = { env: "local", apiUrl: input.nodeUrl, dbPath: null, disableDeviceSync: true, loggingLevel: "Off" };
// Timed part = Client.create only (key generation outside the clock), as in libxmtp-bench.
async function register() {
  const signer = newSigner();
  const t0 = now();
  const client = await sdk.Client.create(signer, clientOpts);
  const ms = now() - t0;
  if (!client.isRegistered) throw new Error("client not registered after Client.create");
  return { client, ms };
}

const out = { sdk: `@xmtp/node-sdk@${sdkVersion}`, nodeVersion: process.version, scenarios: {} };
const save = () => fs.writeFileSync(outFile, JSON.stringify(out, null, 2) + "\n");

// 1. register a new inbox
if (run("register")) {
  log("register");
  const warm = [], ms = [];
  for (let i = 0; i < C.regWarm; i++) warm.push((await register()).ms);
  for (let i = 0; i < C.reg; i++) ms.push((await register()).ms);
  out.scenarios.register = { warm, ms };
  save();
}

// 2. create a DM with a registered peer (a fresh one each time) and send the first text
if (run("dm")) {
  log("dm");
  const A = (await register()).client;
  const warm = [], ms = [], createMs = [], sendMs = [];
  const peers = [...input.peers.dm];
  for (let i = 0; i < C.dmWarm + C.dm; i++) {
    const peer = peers.shift();
    const t0 = now();
    const dm = await A.conversations.createDm(peer);
    const t1 = now();
    await dm.sendText(`first message ${i}`);
    const t2 = now();
    if (i < C.dmWarm) warm.push(t2 - t0);
    else { ms.push(t2 - t0); createMs.push(t1 - t0); sendMs.push(t2 - t1); }
  }
  out.scenarios.dm = { warm, ms, createMs, sendMs };
  save();
}

// 3. send -> receive latency over a live stream
if (run("latency")) {
  log("latency");
  const S = (await register()).client;
  const R = (await register()).client;
  const dm = await S.conversations.createDm(R.inboxId);
  await dm.sendText("setup");
  await R.conversations.syncAll();
  const waiters = new Map();
  const stream = await R.conversations.streamAllMessages({
    onValue: (m) => {
      const t = now();
      const w = typeof m.content === "string" ? waiters.get(m.content) : undefined;
      if (w) { waiters.delete(m.content); w(t); }
    },
    onError: () => {},
  });
  await sleep(200);
  const sample = async (text) => {
    const recv = new Promise((r) => waiters.set(text, r));
    const t0 = now();
    await dm.sendText(text);
    const t2 = await Promise.race([recv, sleep(15000).then(() => null)]);
    if (t2 == null) { waiters.delete(text); return null; }
    return t2 - t0;
  };
  const warm = [], ms = [];
  let lost = 0;
  for (let i = 0; i < C.latWarm; i++) warm.push(await sample(`warm-${i}-${Math.random()}`));
  for (let i = 0; i < C.lat; i++) {
    const x = await sample(`lat-${i}-${Math.random()}`);
    if (x == null) lost++; else ms.push(x);
  }
  await stream.end();
  out.scenarios.latency = { warm, ms, lost };
  save();
}

// 4. create a group with N members (registered inboxes from our client)
if (run("group50")) {
  log(`group of ${input.peers.group50.length}`);
  const creator = (await register()).client;
  const warm = [], ms = [];
  let members = null;
  for (let i = 0; i < C.g50Warm + C.g50; i++) {
    const t0 = now();
    const g = await creator.conversations.createGroup(input.peers.group50);
    const t = now() - t0;
    if (i < C.g50Warm) warm.push(t); else ms.push(t);
    if (members == null) members = (await g.members()).length;
  }
  out.scenarios.group50 = { warm, ms, membersIncludingCreator: members };
  save();
}

// 5. add one member to a group of N (creator + N-1); a new inbox per sample
if (run("add250")) {
  const initial = input.peers.group250;
  log(`add 1 to a group of ${initial.length + 1}`);
  const creator = (await register()).client;
  const t0 = now();
  const g = await creator.conversations.createGroup(initial);
  const createMs = now() - t0;
  const startMembers = (await g.members()).length;
  log(`  createGroup(${initial.length}) ${Math.round(createMs)} ms, ${startMembers} members`);
  const warm = [], ms = [];
  const toAdd = [...input.peers.add];
  for (let i = 0; i < C.addWarm + C.add; i++) {
    const id = toAdd.shift();
    const t1 = now();
    await g.addMembers([id]);
    const t = now() - t1;
    if (i < C.addWarm) warm.push(t); else ms.push(t);
  }
  out.scenarios.add250 = { warm, ms, createGroupMs: createMs, membersAtStart: startMembers, membersAtEnd: (await g.members()).length };
  save();
}

// 6. cold sync: an idle member (joined before the burst) syncs M messages and reads them
if (run("coldSync")) {
  const M = C.syncMsgs;
  log(`cold sync of ${M}`);
  const sender = (await register()).client;
  const member = (await register()).client;
  const g = await sender.conversations.createGroup([member.inboxId]);
  await g.sendText("before");
  await member.conversations.syncAll();
  const conv = await member.conversations.getConversationById(g.id);
  await conv.messages();
  const s0 = now();
  for (let i = 0; i < M; i++) await g.sendText(`burst message ${i} ${"x".repeat(20)}`);
  const sendTotalMs = now() - s0;
  log(`  sent ${M} in ${Math.round(sendTotalMs)} ms`);
  await sleep(300);
  const t0 = now();
  await member.conversations.syncAll();
  const t1 = now();
  const msgs = await conv.messages();
  const t2 = now();
  const texts = msgs.filter((m) => typeof m.content === "string" && m.content.startsWith("burst message")).length;
  out.scenarios.coldSync = { ms: [t2 - t0], syncMs: t1 - t0, readMs: t2 - t1, burstMessagesRead: texts, sendTotalMs, sendPerMessageMs: sendTotalMs / M };
  save();
}

out.totalWallS = (now() - T0) / 1000;
save();
log("done");
process.exit(0);
