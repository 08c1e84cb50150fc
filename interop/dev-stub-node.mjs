// dev-stub-node.mjs — THROWAWAY stand-in for the project's XMTP node, only for developing the interop
// harness while server/main.ts does not exist yet (selected with XMTP_INTEROP_NODE=stub).
// Borrowed from scripts/capture-libxmtp-fixtures.mjs: cleartext HTTP/2 gRPC, v3 IdentityApi +
// MlsApi, no validation at all; adds welcome pointers and a JSON snapshot in the --db file so that
// restarts keep the history. Same CLI contract as the real node:
//   "$NODE22" interop/dev-stub-node.mjs --port 0 --db FILE
//   -> prints "listening on http://127.0.0.1:<port>"; SIGTERM saves and exits 0.
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import fs from "node:fs";
import http2 from "node:http2";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PKG = path.join(process.env.LIBXMTP_HOME || path.join(REPO, ".libxmtp"), "pkg");
const req = createRequire(path.join(PKG, "package.json"));
const protoDir = path.join(PKG, "node_modules", "@xmtp", "proto", "ts", "dist", "cjs");
const mlsApi = req(path.join(protoDir, "mls", "api", "v1", "mls.pb.js"));
const idApi = req(path.join(protoDir, "identity", "api", "v1", "identity.pb.js"));
const assoc = req(path.join(protoDir, "identity", "associations", "association.pb.js"));
const { RecoverableEd25519Signature: Sig } = req(path.join(protoDir, "identity", "associations", "signature.pb.js"));
const Long = req(path.join(PKG, "node_modules", "long", "umd", "index.js"));
const { Reader, Writer } = req(path.join(PKG, "node_modules", "protobufjs", "minimal.js"));

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const PORT = Number(opt("--port", "5556"));
const DB = opt("--db", "");
const log = (...a) => console.error("dev-stub-node:", ...a);

const hex = (b) => Buffer.from(b).toString("hex");
const unhex = (s) => Buffer.from(s, "hex");
const L = (n) => Long.fromNumber(n, true);
const nowNs = () => (BigInt(Date.now()) * 1000000n).toString();

// RFC 9420 variable-length vectors
function mlsVec(b, o) {
  const p = b[o] >> 6;
  const [n, k] = p === 0 ? [b[o] & 0x3f, 1] : p === 1 ? [((b[o] & 0x3f) << 8) | b[o + 1], 2] : [b.readUInt32BE(o) & 0x3fffffff, 4];
  return [b.subarray(o + k, o + k + n), o + k + n];
}
function groupIdOf(data) {
  const b = Buffer.from(data);
  const [groupId, o] = mlsVec(b, 4);
  return { groupId, isCommit: b.readUInt16BE(2) === 2 && b[o + 8] === 3 };
}
function keyPackageInstallationKey(tls) {
  const b = Buffer.from(tls);
  let [, o] = mlsVec(b, 4);
  [, o] = mlsVec(b, o);
  return mlsVec(b, o)[0];
}

// ---------- state: JSON-friendly (hex strings, numbers), snapshotted to --db ----------
const empty = () => ({ nextId: 1, identity: {}, addressToInbox: {}, keyPackages: {}, groupMsgs: {}, welcomes: {}, commitLog: {} });
let st = empty();
if (DB && fs.existsSync(DB) && fs.statSync(DB).size > 0) st = JSON.parse(fs.readFileSync(DB, "utf8"));
const save = () => {
  if (!DB) return;
  fs.writeFileSync(`${DB}.tmp`, JSON.stringify(st));
  fs.renameSync(`${DB}.tmp`, DB);
};
let saveTimer = null;
const dirty = () => { if (!saveTimer) saveTimer = setTimeout(() => { saveTimer = null; save(); }, 200); };
const nextId = () => st.nextId++;
const push = (map, k, v) => { (map[k] ??= []).push(v); dirty(); };
const bus = new EventEmitter();
bus.setMaxListeners(0);

const page = (list, paging) => {
  const dir = paging?.direction || 1;
  const limit = paging?.limit || 100;
  const cursor = paging?.idCursor ? Long.fromValue(paging.idCursor).toNumber() : 0;
  let sel = dir === 2 ? list.filter((m) => !cursor || m.id < cursor).sort((a, b) => b.id - a.id) : list.filter((m) => m.id > cursor);
  sel = sel.slice(0, limit);
  return { sel, pagingInfo: { direction: dir, limit, idCursor: sel.length === limit ? L(sel[sel.length - 1].id) : Long.UZERO } };
};
const groupMsg = (m) => ({ v1: { id: L(m.id), createdNs: Long.fromString(m.createdNs, true), groupId: unhex(m.groupId), data: unhex(m.data), senderHmac: unhex(m.senderHmac), shouldPush: m.shouldPush, isCommit: m.isCommit } });
const welcomeMsg = (w) => {
  const common = { id: L(w.id), createdNs: Long.fromString(w.createdNs, true), installationKey: unhex(w.installationKey), hpkePublicKey: unhex(w.hpkePublicKey), wrapperAlgorithm: w.wrapperAlgorithm };
  return w.pointer
    ? { welcomePointer: { ...common, welcomePointer: unhex(w.welcomePointer) } }
    : { v1: { ...common, data: unhex(w.data), welcomeMetadata: unhex(w.welcomeMetadata) } };
};

const unary = {
  "/xmtp.identity.api.v1.IdentityApi/PublishIdentityUpdate": (body) => {
    const r = new Reader(body);
    let raw = null;
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === 2) raw = r.bytes(); else r.skipType(tag & 7);
    }
    const upd = assoc.IdentityUpdate.decode(raw);
    push(st.identity, upd.inboxId, { seq: nextId(), ts: nowNs(), raw: hex(raw) });
    for (const a of upd.actions) {
      if (a.createInbox) st.addressToInbox[a.createInbox.initialIdentifier.toLowerCase()] = upd.inboxId;
      if (a.add?.newMemberIdentifier?.ethereumAddress) st.addressToInbox[a.add.newMemberIdentifier.ethereumAddress.toLowerCase()] = upd.inboxId;
    }
    return idApi.PublishIdentityUpdateResponse.encode({}).finish();
  },
  "/xmtp.identity.api.v1.IdentityApi/GetIdentityUpdates": (body) => {
    const q = idApi.GetIdentityUpdatesRequest.decode(body);
    const w = Writer.create();
    for (const r of q.requests) {
      w.uint32(10).fork().uint32(10).string(r.inboxId);
      for (const u of st.identity[r.inboxId] ?? []) {
        if (u.seq <= r.sequenceId.toNumber()) continue;
        w.uint32(18).fork().uint32(8).uint64(u.seq).uint32(16).uint64(Long.fromString(u.ts, true)).uint32(26).bytes(unhex(u.raw)).ldelim();
      }
      w.ldelim();
    }
    return w.finish();
  },
  "/xmtp.identity.api.v1.IdentityApi/GetInboxIds": (body) => {
    const q = idApi.GetInboxIdsRequest.decode(body);
    return idApi.GetInboxIdsResponse.encode({
      responses: q.requests.map((r) => ({ identifier: r.identifier, identifierKind: r.identifierKind, inboxId: st.addressToInbox[r.identifier.toLowerCase()] })),
    }).finish();
  },
  "/xmtp.identity.api.v1.IdentityApi/VerifySmartContractWalletSignatures": (body) => {
    const q = idApi.VerifySmartContractWalletSignaturesRequest.decode(body);
    return idApi.VerifySmartContractWalletSignaturesResponse.encode({ responses: q.signatures.map(() => ({ isValid: false, error: "dev stub: no smart-contract wallets" })) }).finish();
  },
  "/xmtp.mls.api.v1.MlsApi/UploadKeyPackage": (body) => {
    const tls = mlsApi.UploadKeyPackageRequest.decode(body).keyPackage.keyPackageTlsSerialized;
    st.keyPackages[hex(keyPackageInstallationKey(tls))] = hex(tls);
    dirty();
    return new Uint8Array();
  },
  "/xmtp.mls.api.v1.MlsApi/FetchKeyPackages": (body) => {
    const q = mlsApi.FetchKeyPackagesRequest.decode(body);
    return mlsApi.FetchKeyPackagesResponse.encode({ keyPackages: q.installationKeys.map((k) => ({ keyPackageTlsSerialized: unhex(st.keyPackages[hex(k)] ?? "") })) }).finish();
  },
  "/xmtp.mls.api.v1.MlsApi/SendGroupMessages": (body) => {
    for (const m of mlsApi.SendGroupMessagesRequest.decode(body).messages) {
      const { groupId, isCommit } = groupIdOf(m.v1.data);
      const g = hex(groupId);
      const stored = { id: nextId(), createdNs: nowNs(), groupId: g, data: hex(m.v1.data), senderHmac: hex(m.v1.senderHmac), shouldPush: m.v1.shouldPush, isCommit };
      push(st.groupMsgs, g, stored);
      bus.emit("group", g, stored);
    }
    return new Uint8Array();
  },
  "/xmtp.mls.api.v1.MlsApi/SendWelcomeMessages": (body) => {
    for (const m of mlsApi.SendWelcomeMessagesRequest.decode(body).messages) {
      const v = m.v1 ?? m.welcomePointer;
      if (!v) continue;
      const k = hex(v.installationKey);
      const stored = m.v1
        ? { id: nextId(), createdNs: nowNs(), installationKey: k, data: hex(v.data), hpkePublicKey: hex(v.hpkePublicKey), wrapperAlgorithm: v.wrapperAlgorithm, welcomeMetadata: hex(v.welcomeMetadata) }
        : { id: nextId(), createdNs: nowNs(), installationKey: k, pointer: true, welcomePointer: hex(v.welcomePointer), hpkePublicKey: hex(v.hpkePublicKey), wrapperAlgorithm: v.wrapperAlgorithm };
      push(st.welcomes, k, stored);
      bus.emit("welcome", k, stored);
    }
    return new Uint8Array();
  },
  "/xmtp.mls.api.v1.MlsApi/QueryGroupMessages": (body) => {
    const q = mlsApi.QueryGroupMessagesRequest.decode(body);
    const { sel, pagingInfo } = page(st.groupMsgs[hex(q.groupId)] ?? [], q.pagingInfo);
    return mlsApi.QueryGroupMessagesResponse.encode({ messages: sel.map(groupMsg), pagingInfo }).finish();
  },
  "/xmtp.mls.api.v1.MlsApi/QueryWelcomeMessages": (body) => {
    const q = mlsApi.QueryWelcomeMessagesRequest.decode(body);
    const { sel, pagingInfo } = page(st.welcomes[hex(q.installationKey)] ?? [], q.pagingInfo);
    return mlsApi.QueryWelcomeMessagesResponse.encode({ messages: sel.map(welcomeMsg), pagingInfo }).finish();
  },
  "/xmtp.mls.api.v1.MlsApi/GetNewestGroupMessage": (body) => {
    const q = mlsApi.GetNewestGroupMessageRequest.decode(body);
    return mlsApi.GetNewestGroupMessageResponse.encode({
      responses: q.groupIds.map((g) => {
        const last = (st.groupMsgs[hex(g)] ?? []).at(-1);
        if (!last) return {};
        const m = groupMsg(last);
        if (!q.includeContent) m.v1.data = new Uint8Array();
        return { groupMessage: m };
      }),
    }).finish();
  },
  "/xmtp.mls.api.v1.MlsApi/BatchPublishCommitLog": (body) => {
    for (const r of mlsApi.BatchPublishCommitLogRequest.decode(body).requests)
      push(st.commitLog, hex(r.groupId), { id: nextId(), entry: hex(r.serializedCommitLogEntry), signature: r.signature ? hex(Sig.encode(r.signature).finish()) : null });
    return new Uint8Array();
  },
  "/xmtp.mls.api.v1.MlsApi/BatchQueryCommitLog": (body) => {
    const q = mlsApi.BatchQueryCommitLogRequest.decode(body);
    return mlsApi.BatchQueryCommitLogResponse.encode({
      responses: q.requests.map((r) => {
        const { sel, pagingInfo } = page(st.commitLog[hex(r.groupId)] ?? [], r.pagingInfo);
        return {
          groupId: r.groupId,
          commitLogEntries: sel.map((e) => ({ sequenceId: L(e.id), serializedCommitLogEntry: unhex(e.entry), signature: e.signature ? Sig.decode(unhex(e.signature)) : undefined })),
          pagingInfo,
        };
      }),
    }).finish();
  },
};
const streaming = {
  "/xmtp.mls.api.v1.MlsApi/SubscribeGroupMessages": { ev: "group", store: () => st.groupMsgs, dec: mlsApi.SubscribeGroupMessagesRequest, key: (f) => hex(f.groupId), enc: (m) => mlsApi.GroupMessage.encode(groupMsg(m)).finish() },
  "/xmtp.mls.api.v1.MlsApi/SubscribeWelcomeMessages": { ev: "welcome", store: () => st.welcomes, dec: mlsApi.SubscribeWelcomeMessagesRequest, key: (f) => hex(f.installationKey), enc: (w) => mlsApi.WelcomeMessage.encode(welcomeMsg(w)).finish() },
};

const frame = (msg) => {
  const b = Buffer.alloc(5 + msg.length);
  b.writeUInt32BE(msg.length, 1);
  Buffer.from(msg).copy(b, 5);
  return b;
};
const unframe = (buf) => (buf.length >= 5 ? buf.subarray(5, 5 + buf.readUInt32BE(1)) : Buffer.alloc(0));
const server = http2.createServer();
const sessions = new Set();
server.on("session", (s) => { sessions.add(s); s.on("close", () => sessions.delete(s)); });
server.on("stream", (stream, headers) => {
  const p = headers[":path"];
  const chunks = [];
  stream.on("data", (c) => chunks.push(c));
  stream.on("error", () => {});
  const fail = (code, msg) => { if (!stream.destroyed) stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": encodeURIComponent(msg) }, { endStream: true }); };
  if (streaming[p]) {
    const s = streaming[p];
    stream.respond({ ":status": 200, "content-type": "application/grpc", subscribed: "true" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.on("end", () => {
      const q = s.dec.decode(unframe(Buffer.concat(chunks)));
      const hwm = new Map(q.filters.map((f) => [s.key(f), Long.fromValue(f.idCursor).toNumber()]));
      const send = (k, item) => {
        if (!hwm.has(k) || item.id <= hwm.get(k) || stream.destroyed) return;
        hwm.set(k, item.id);
        stream.write(frame(s.enc(item)));
      };
      for (const k of hwm.keys()) for (const item of s.store()[k] ?? []) send(k, item);
      bus.on(s.ev, send);
      stream.on("close", () => bus.off(s.ev, send));
    });
    return;
  }
  stream.on("end", () => {
    const h = unary[p];
    if (!h) return fail(12, `dev stub: ${p} not implemented`);
    let out;
    try { out = h(unframe(Buffer.concat(chunks))); } catch (e) { log(`${p} failed: ${e.stack}`); return fail(13, String(e.message)); }
    if (stream.destroyed) return;
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(frame(out));
  });
});

const shutdown = () => {
  clearTimeout(saveTimer);
  save();
  for (const s of sessions) s.destroy();
  server.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
server.listen(PORT, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
