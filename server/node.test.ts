// The node over the wire: both protocols on one port, the network's semantics, and bad input.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PublishIdentityUpdateRequestSchema } from '../src/gen/identity/api/v1/identity_pb.js';
import { IdentifierKind } from '../src/gen/identity/associations/association_pb.js';
import { SortDirection, SubscribeGroupMessagesRequestSchema, type GroupMessage } from '../src/gen/mls/api/v1/mls_pb.js';
import { WelcomePointerWrapperAlgorithm } from '../src/gen/mls/message_contents/welcome_pointer_pb.js';
import { WelcomeWrapperAlgorithm } from '../src/gen/mls/message_contents/wrapper_encryption_pb.js';
import { buildRegistration, buildUpdate, inboxIdFor, newInstallation, newWallet } from '../src/protocol/test-support/identity-builder.js';
import { readGroupMessageFraming } from '../src/protocol/mls/framing.js';
import { parseKeyPackage } from '../src/protocol/mls/key-package.js';
import { libxmtpGroupMessages, libxmtpKeyPackage, libxmtpRequestBody } from '../src/protocol/test-support/libxmtp-fixtures.js';
import { startNode, type RunningNode } from './node.js';
import { LIMITS } from './services/mls-api.js';
import { MAX_INBOX_LOG_ENTRIES } from './store/store.js';
import { groupId, grpcClients, grpcWebClients, privateMessage, type NodeClients } from './test-support/clients.js';
import { startPostgres, type StartedPostgres } from './test-support/postgres.js';

let node: RunningNode;
let grpc: NodeClients;
let web: NodeClients;
const kp = libxmtpKeyPackage();
const kpTime = Number(parseKeyPackage(kp).notBefore) + 3600;
let postgres: StartedPostgres | undefined;

// The whole suite runs once per store: SQLite (the embedded default) and a real PostgreSQL server.
const backends = [
  ['sqlite', async () => ':memory:'],
  [
    'postgres',
    async () => {
      postgres ??= await startPostgres();
      return postgres.createDatabase();
    },
  ],
] as const;
afterAll(() => postgres?.stop());

describe.each(backends)('node on %s', (_backend, database) => {
  beforeAll(async () => {
    node = await startNode({ db: await database(), now: () => kpTime });
    grpc = grpcClients(node.url);
    web = grpcWebClients(node.url);
  });
  afterAll(() => node.close());

  async function codeOf(p: Promise<unknown>): Promise<string> {
    try {
      await p;
      return 'ok';
    } catch (e) {
      return Code[ConnectError.from(e).code];
    }
  }

  const v1 = (m: GroupMessage) => {
    if (m.version.case !== 'v1') throw new Error('not v1');
    return m.version.value;
  };
  const send = (data: Uint8Array[], clients = grpc) =>
    clients.mls.sendGroupMessages({ messages: data.map((d) => ({ version: { case: 'v1', value: { data: d, senderHmac: new Uint8Array(32), shouldPush: true } } })) });

  describe('group messages', () => {
    test('default: a libxmtp commit and message are stored with the group id and commit flag read from the MLS framing', async () => {
      const { commit, application } = libxmtpGroupMessages();
      await send([commit, application]);
      const group = readGroupMessageFraming(commit).groupId;
      const { messages, pagingInfo } = await grpc.mls.queryGroupMessages({ groupId: group, pagingInfo: { direction: SortDirection.ASCENDING } });
      expect(messages.map((m) => v1(m).isCommit)).toEqual([true, false]);
      expect(messages.map((m) => Buffer.from(v1(m).groupId).equals(Buffer.from(group)))).toEqual([true, true]);
      expect(v1(messages[1]!).id).toBeGreaterThan(v1(messages[0]!).id);
      expect(pagingInfo?.idCursor).toBe(0n); // not a full page
    });

    test('behavior: ids follow publish order across groups; paging ASC/DESC with cursors and limits', async () => {
      const g = groupId(1);
      const other = groupId(2);
      for (let i = 0; i < 5; i++) await send([privateMessage(g, 1, `m${i}`), privateMessage(other, 1, `o${i}`)]);
      const asc = (await grpc.mls.queryGroupMessages({ groupId: g, pagingInfo: { direction: SortDirection.ASCENDING, limit: 2 } }));
      expect(asc.messages).toHaveLength(2);
      expect(asc.pagingInfo).toMatchObject({ limit: 2, direction: SortDirection.ASCENDING, idCursor: v1(asc.messages[1]!).id });
      const next = await grpc.mls.queryGroupMessages({ groupId: g, pagingInfo: { direction: SortDirection.ASCENDING, limit: 100, idCursor: asc.pagingInfo!.idCursor } });
      expect(next.messages).toHaveLength(3);
      const all = [...asc.messages, ...next.messages].map((m) => v1(m).id);
      expect([...all].sort((a, b) => (a < b ? -1 : 1))).toEqual(all);
      // global ids: the other group's messages sit in between
      expect(all.every((id, i) => i === 0 || id - all[i - 1]! === 2n)).toBe(true);
      const desc = await grpc.mls.queryGroupMessages({ groupId: g, pagingInfo: {} }); // unspecified = DESC
      expect(desc.messages.map((m) => v1(m).id)).toEqual([...all].reverse());
      const before = await grpc.mls.queryGroupMessages({ groupId: g, pagingInfo: { direction: SortDirection.DESCENDING, idCursor: all[2]! } });
      expect(before.messages.map((m) => v1(m).id)).toEqual([all[1], all[0]]);
    });

    test('behavior: identical messages are stored once', async () => {
      const g = groupId(3);
      const m = privateMessage(g, 1, 'dup');
      await send([m, m]);
      await send([m]);
      expect((await grpc.mls.queryGroupMessages({ groupId: g })).messages).toHaveLength(1);
    });

    test('behavior: GetNewestGroupMessage answers per group, in order, with or without content', async () => {
      const g = groupId(4);
      await send([privateMessage(g, 1, 'first'), privateMessage(g, 1, 'newest')]);
      const { responses } = await grpc.mls.getNewestGroupMessage({ groupIds: [g, groupId(999)], includeContent: false });
      expect(responses).toHaveLength(2);
      expect(v1(responses[0]!.groupMessage!).data).toHaveLength(0);
      expect(responses[1]!.groupMessage).toBeUndefined();
      const withContent = await grpc.mls.getNewestGroupMessage({ groupIds: [g], includeContent: true });
      expect(Buffer.from(v1(withContent.responses[0]!.groupMessage!).data)).toEqual(Buffer.from(privateMessage(g, 1, 'newest')));
    });

    test('error: bad MLS framing, empty data or a missing version refuse the whole batch', async () => {
      const g = groupId(5);
      const good = privateMessage(g, 1, 'good');
      for (const bad of [new Uint8Array([1, 2, 3]), new Uint8Array(), kp]) {
        expect(await codeOf(send([good, bad]))).toBe('InvalidArgument');
      }
      expect(await codeOf(grpc.mls.sendGroupMessages({ messages: [{}] }))).toBe('InvalidArgument');
      expect(await codeOf(grpc.mls.sendGroupMessages({ messages: [] }))).toBe('InvalidArgument');
      expect((await grpc.mls.queryGroupMessages({ groupId: g })).messages).toHaveLength(0);
    });
  });

  describe('key packages', () => {
    test('default: a libxmtp key package is verified, stored under its installation key and fetched in request order', async () => {
      await grpc.mls.uploadKeyPackage({ keyPackage: { keyPackageTlsSerialized: kp }, isInboxIdCredential: true });
      const installation = parseKeyPackage(kp).installationKey;
      const { keyPackages } = await grpc.mls.fetchKeyPackages({ installationKeys: [new Uint8Array(32), installation] });
      expect(keyPackages.map((k) => k.keyPackageTlsSerialized.length)).toEqual([0, kp.length]);
    });

    test('error: a tampered or expired key package is refused', async () => {
      const tampered = kp.slice();
      tampered[tampered.length - 1]! ^= 1;
      expect(await codeOf(grpc.mls.uploadKeyPackage({ keyPackage: { keyPackageTlsSerialized: tampered } }))).toBe('InvalidArgument');
      const late = await startNode({ db: ':memory:', now: () => kpTime + 365 * 86400 });
      try {
        expect(await codeOf(grpcClients(late.url).mls.uploadKeyPackage({ keyPackage: { keyPackageTlsSerialized: kp } }))).toBe('InvalidArgument');
      } finally {
        await late.close();
      }
    });
  });

  describe('welcomes', () => {
    test('default: both forms are stored per topic and returned in their form', async () => {
      const installation = new Uint8Array(32).fill(7);
      await grpc.mls.sendWelcomeMessages({
        messages: [
          { version: { case: 'v1', value: { installationKey: installation, data: new Uint8Array([1]), hpkePublicKey: new Uint8Array([2]), wrapperAlgorithm: WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6, welcomeMetadata: new Uint8Array([3]) } } },
          { version: { case: 'welcomePointer', value: { installationKey: installation, welcomePointer: new Uint8Array([4]), hpkePublicKey: new Uint8Array([5]), wrapperAlgorithm: WelcomePointerWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6 } } },
          // a pointee lives on its own destination topic, symmetric, without an HPKE key
          { version: { case: 'v1', value: { installationKey: new Uint8Array(32).fill(9), data: new Uint8Array([6]), wrapperAlgorithm: WelcomeWrapperAlgorithm.SYMMETRIC_KEY } } },
        ],
      });
      const { messages } = await grpc.mls.queryWelcomeMessages({ installationKey: installation, pagingInfo: { direction: SortDirection.ASCENDING } });
      expect(messages.map((m) => m.version.case)).toEqual(['v1', 'welcomePointer']);
      const pointees = await grpc.mls.queryWelcomeMessages({ installationKey: new Uint8Array(32).fill(9) });
      expect(pointees.messages).toHaveLength(1);
    });

    test('behavior: the welcomes a real libxmtp client sent are accepted', async () => {
      await grpc.mls.sendWelcomeMessages(fromBinary((await import('../src/gen/mls/api/v1/mls_pb.js')).SendWelcomeMessagesRequestSchema, libxmtpRequestBody('SendWelcomeMessages')));
    });

    test('error: missing fields and unknown algorithms', async () => {
      const k = new Uint8Array(32).fill(1);
      const bad = [
        { version: { case: 'v1' as const, value: { installationKey: k, data: new Uint8Array(), hpkePublicKey: k } } },
        { version: { case: 'v1' as const, value: { installationKey: new Uint8Array(), data: k, hpkePublicKey: k } } },
        { version: { case: 'v1' as const, value: { installationKey: k, data: k, wrapperAlgorithm: WelcomeWrapperAlgorithm.CURVE25519 } } },
        { version: { case: 'welcomePointer' as const, value: { installationKey: k, welcomePointer: k, hpkePublicKey: k, wrapperAlgorithm: 1 } } },
        {},
      ];
      for (const message of bad) expect(await codeOf(grpc.mls.sendWelcomeMessages({ messages: [message] }))).toBe('InvalidArgument');
    });
  });

  describe('identity', () => {
    const update = fromBinary(PublishIdentityUpdateRequestSchema, libxmtpRequestBody('PublishIdentityUpdate')).identityUpdate!;
    const createInbox = update.actions[0]!.kind;
    const address = createInbox.case === 'createInbox' ? createInbox.value.initialIdentifier : '';

    test('default: a libxmtp registration is stored, returned as published and indexed by address', async () => {
      await grpc.identity.publishIdentityUpdate({ identityUpdate: update });
      const { responses } = await grpc.identity.getIdentityUpdates({ requests: [{ inboxId: update.inboxId, sequenceId: 0n }] });
      expect(responses[0]!.updates).toHaveLength(1);
      const log = responses[0]!.updates[0]!;
      expect(toBinary(PublishIdentityUpdateRequestSchema, create(PublishIdentityUpdateRequestSchema, { identityUpdate: log.update }))).toEqual(
        libxmtpRequestBody('PublishIdentityUpdate'),
      );
      const later = await grpc.identity.getIdentityUpdates({ requests: [{ inboxId: update.inboxId, sequenceId: log.sequenceId }] });
      expect(later.responses[0]!.updates).toHaveLength(0);
      const ids = await grpc.identity.getInboxIds({ requests: [{ identifier: address.toUpperCase().replace('0X', '0x'), identifierKind: IdentifierKind.ETHEREUM }, { identifier: '0x' + '00'.repeat(20) }] });
      expect(ids.responses.map((r) => r.inboxId)).toEqual([update.inboxId, undefined]);
    });

    test('error: publishing the creation again is refused and the log is unchanged', async () => {
      expect(await codeOf(grpc.identity.publishIdentityUpdate({ identityUpdate: update }))).toBe('InvalidArgument');
      const { responses } = await grpc.identity.getIdentityUpdates({ requests: [{ inboxId: update.inboxId, sequenceId: 0n }] });
      expect(responses[0]!.updates).toHaveLength(1);
    });

    test('error: an update without actions, or none at all', async () => {
      expect(await codeOf(grpc.identity.publishIdentityUpdate({}))).toBe('InvalidArgument');
      expect(await codeOf(grpc.identity.publishIdentityUpdate({ identityUpdate: { inboxId: 'ab'.repeat(32) } }))).toBe('InvalidArgument');
    });
  });

  describe('limits', () => {
    test('error: too many items in one request is INVALID_ARGUMENT and stores nothing', async () => {
      const g = groupId(30);
      const many = Array.from({ length: LIMITS.groupMessagesPerRequest + 1 }, (_, i) => privateMessage(g, 1, `x${i}`));
      expect(await codeOf(send(many))).toBe('InvalidArgument');
      expect((await grpc.mls.queryGroupMessages({ groupId: g })).messages).toHaveLength(0);
      const entries = Array.from({ length: LIMITS.commitLogPublishes + 1 }, () => ({ groupId: g, serializedCommitLogEntry: new Uint8Array([1]) }));
      expect(await codeOf(grpc.mls.batchPublishCommitLog({ requests: entries }))).toBe('InvalidArgument');
    });

    test('error: an inbox log holding 256 updates takes no more (RESOURCE_EXHAUSTED), and is unchanged', async () => {
      const wallet = newWallet();
      const inboxId = inboxIdFor(wallet);
      await grpc.identity.publishIdentityUpdate({ identityUpdate: await buildRegistration(wallet, newInstallation()) });
      // Fill the log with real, valid updates: the wallet adds one installation at a time.
      for (let i = 1; i < MAX_INBOX_LOG_ENTRIES; i++) {
        const update = await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: wallet, newMember: newInstallation() }] });
        await grpc.identity.publishIdentityUpdate({ identityUpdate: update });
      }
      const one = await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: wallet, newMember: newInstallation() }] });
      const full = grpc.identity.publishIdentityUpdate({ identityUpdate: one });
      await expect(full).rejects.toThrow(/inbox log is full/);
      expect(await codeOf(full)).toBe('ResourceExhausted');
      const { responses } = await grpc.identity.getIdentityUpdates({ requests: [{ inboxId, sequenceId: 0n }] });
      expect(responses[0]!.updates).toHaveLength(MAX_INBOX_LOG_ENTRIES);
    }, 60_000);
  });

  describe('streams', () => {
    test('default: replays everything after the cursor, then goes live, with no gap or duplicate', async () => {
      const g = groupId(10);
      await send([privateMessage(g, 1, 'old-1'), privateMessage(g, 1, 'old-2')]);
      const controller = new AbortController();
      const stream = grpc.mls.subscribeGroupMessages({ filters: [{ groupId: g, idCursor: 0n }] }, { signal: controller.signal });
      const received: string[] = [];
      const done = (async () => {
        for await (const m of stream) {
          received.push(Buffer.from(v1(m).data).toString('hex'));
          if (received.length === 4) break;
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      await send([privateMessage(g, 1, 'new-1')]);
      await send([privateMessage(g, 1, 'new-2')]);
      await done;
      controller.abort();
      const hex = (s: string) => Buffer.from(privateMessage(g, 1, s)).toString('hex');
      expect(received).toEqual(['old-1', 'old-2', 'new-1', 'new-2'].map(hex));
    });

    test('behavior: subscribing while messages keep arriving misses none and repeats none', async () => {
      const g = groupId(12);
      let writing = true;
      let sent = 0;
      const writer = (async () => {
        while (writing) await send([privateMessage(g, 1, `w${sent++}`)]);
      })();
      await new Promise((r) => setTimeout(r, 30)); // some history before the subscription
      const controller = new AbortController();
      const ids: bigint[] = [];
      const reader = (async () => {
        for await (const m of grpc.mls.subscribeGroupMessages({ filters: [{ groupId: g, idCursor: 0n }] }, { signal: controller.signal })) {
          ids.push(v1(m).id);
          if (!writing && ids.length === sent) break;
        }
      })().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 150)); // the switch from replay to live happens meanwhile
      writing = false;
      await writer;
      for (let i = 0; i < 100 && ids.length < sent; i++) await new Promise((r) => setTimeout(r, 20));
      controller.abort();
      await reader;
      const stored: bigint[] = [];
      let cursor = 0n;
      for (;;) {
        const { messages } = await grpc.mls.queryGroupMessages({ groupId: g, pagingInfo: { direction: SortDirection.ASCENDING, idCursor: cursor } });
        stored.push(...messages.map((m) => v1(m).id));
        if (messages.length < 100) break;
        cursor = stored.at(-1)!;
      }
      expect(stored.length).toBe(sent);
      expect(ids).toEqual(stored);
    });

    test('behavior: response headers arrive before any message (tonic clients wait for them)', async () => {
      const session = http2.connect(node.url);
      try {
        const body = toBinary(SubscribeGroupMessagesRequestSchema, create(SubscribeGroupMessagesRequestSchema, { filters: [{ groupId: groupId(11) }] }));
        const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), Buffer.from(body)]);
        const req = session.request({ ':method': 'POST', ':path': '/xmtp.mls.api.v1.MlsApi/SubscribeGroupMessages', 'content-type': 'application/grpc', te: 'trailers' });
        req.end(frame);
        const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
          req.on('response', resolve);
          setTimeout(() => reject(new Error('no response headers within 2 s')), 2000);
        });
        expect(headers[':status']).toBe(200);
        expect(headers['content-type']).toMatch(/^application\/grpc/);
        req.close();
      } finally {
        session.close();
      }
    });
  });

  describe('transport', () => {
    test('default: gRPC-web over HTTP/1.1 on the same port', async () => {
      const g = groupId(20);
      await send([privateMessage(g, 3, 'commit')], web);
      const { messages } = await web.mls.queryGroupMessages({ groupId: g });
      expect(v1(messages[0]!).isCommit).toBe(true);
    });

    test('behavior: CORS preflight for an extension origin, refused for a web page', async () => {
      const pre = (origin: string) =>
        fetch(`${node.url}/xmtp.mls.api.v1.MlsApi/QueryGroupMessages`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-grpc-web,x-app-version' } });
      const ok = await pre('chrome-extension://abcdefghijklmnop');
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('chrome-extension://abcdefghijklmnop');
      expect(ok.headers.get('access-control-allow-headers')).toMatch(/x-grpc-web/i);
      // what our client and libxmtp send with every request (createXmtpApi)
      expect(ok.headers.get('access-control-allow-headers')).toMatch(/x-app-version/i);
      expect((await pre('https://evil.example')).status).toBe(403);
    });

    test('error: an unknown method is UNIMPLEMENTED over gRPC', async () => {
      const session = http2.connect(node.url);
      try {
        const req = session.request({ ':method': 'POST', ':path': '/xmtp.mls.api.v1.MlsApi/NoSuchMethod', 'content-type': 'application/grpc', te: 'trailers' });
        req.end(Buffer.from([0, 0, 0, 0, 0]));
        const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => req.on('response', resolve));
        expect(headers['grpc-status']).toBe(String(Code.Unimplemented));
      } finally {
        session.close();
      }
      expect(await codeOf(grpc.mls.registerInstallation({}))).toBe('Unimplemented');
    });

    test('error: malformed protobuf is INTERNAL "parse binary" (as grpc-go answers); over 25 MiB is RESOURCE_EXHAUSTED; the node keeps serving', async () => {
      const raw = async (payload: Buffer) => {
        const session = http2.connect(node.url, { maxSessionMemory: 100 }); // room to queue a 25 MiB upload
        try {
          const header = Buffer.alloc(5);
          header.writeUInt32BE(payload.length, 1);
          const req = session.request({ ':method': 'POST', ':path': '/xmtp.mls.api.v1.MlsApi/SendGroupMessages', 'content-type': 'application/grpc', te: 'trailers' });
          req.end(Buffer.concat([header, payload]));
          req.resume();
          return await new Promise<string>((resolve) => {
            let status = '';
            const read = (h: http2.IncomingHttpHeaders) => {
              if (h['grpc-status'] === undefined) return;
              status = `${String(h['grpc-status'])} ${decodeURIComponent(String(h['grpc-message'] ?? ''))}`;
              resolve(status); // an oversized upload is answered before it is read; don't wait for it
            };
            req.on('response', read);
            req.on('trailers', read);
            req.on('close', () => resolve(status));
            // The node answers before reading an oversized body and resets the rest of the upload.
            req.on('error', () => resolve(status));
          });
        } finally {
          session.close();
        }
      };
      expect(await raw(Buffer.from([0x0a, 0xff, 0xff, 0xff]))).toMatch(new RegExp(`^${Code.Internal} parse binary: `));
      expect(await raw(Buffer.alloc(25 * 1024 * 1024 + 10, 1))).toMatch(new RegExp(`^${Code.ResourceExhausted} message size 26214410 is larger than configured readMaxBytes 26214400`));
      expect((await grpc.mls.queryGroupMessages({ groupId: groupId(1) })).messages.length).toBeGreaterThan(0);
    });
  });
});
