// The client's delivery layer (src/protocol/delivery) against the real node, over gRPC-web — the
// protocol the extension speaks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GroupMessage } from '../src/gen/mls/api/v1/mls_pb.js';
import { createXmtpApi } from '../src/protocol/delivery/create-xmtp-api.js';
import { followGroupMessages } from '../src/protocol/delivery/follow-topics.js';
import { envelopeId, queryGroupMessagesAfter } from '../src/protocol/delivery/query-all.js';
import { startNode, type RunningNode } from './node.js';
import { groupId, privateMessage } from './test-support/clients.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'delivery-'));
const db = path.join(scratch, 'node.db');
let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db });
});
afterAll(async () => {
  await node?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const api = () => createXmtpApi({ node: node.url, appVersion: 'test' });
const send = (g: Uint8Array, texts: string[]) =>
  api().mls.sendGroupMessages({ messages: texts.map((t) => ({ version: { case: 'v1', value: { data: privateMessage(g, 1, t) } } })) });
const payload = (m: GroupMessage) => (m.version.case === 'v1' ? Buffer.from(m.version.value.data).toString('hex') : '');
const hexOf = (g: Uint8Array, t: string) => Buffer.from(privateMessage(g, 1, t)).toString('hex');

describe('createXmtpApi', () => {
  test('default: names a network or a node URL', () => {
    expect(createXmtpApi({ node: 'dev' }).baseUrl).toBe('https://api.dev.xmtp.network:5558');
    expect(createXmtpApi({ node: 'http://127.0.0.1:1' }).baseUrl).toBe('http://127.0.0.1:1');
  });

  test('error: anything else', () => {
    expect(() => createXmtpApi({ node: 'mainnet-ish' })).toThrow(/Not a node URL or network name/);
  });
});

describe('queryGroupMessagesAfter', () => {
  test('default: pages through the whole history after a cursor, oldest first', async () => {
    const g = groupId(100);
    for (let i = 0; i < 250; i += 50) await send(g, Array.from({ length: 50 }, (_, j) => `m${i + j}`));
    const all: GroupMessage[] = [];
    for await (const m of queryGroupMessagesAfter(api(), g, 0n)) all.push(m);
    expect(all.map(payload)).toEqual(Array.from({ length: 250 }, (_, i) => hexOf(g, `m${i}`)));
    const tail: GroupMessage[] = [];
    for await (const m of queryGroupMessagesAfter(api(), g, envelopeId(all[199]!))) tail.push(m);
    expect(tail).toHaveLength(50);
  });
});

describe('followGroupMessages', () => {
  test('behavior: survives a node restart: messages sent while it was down arrive once, in order', async () => {
    const g = groupId(101);
    await send(g, ['before']);
    const controller = new AbortController();
    const received: string[] = [];
    const reconnects: unknown[] = [];
    const groups = [{ groupId: g, cursor: 0n }];
    const stream = followGroupMessages(api(), groups, { signal: controller.signal, initialDelayMs: 50, onReconnect: (e) => reconnects.push(e) });
    const reading = (async () => {
      for await (const m of stream) {
        received.push(payload(m));
        if (received.length === 4) controller.abort();
      }
    })();
    const until = async (n: number) => {
      for (let i = 0; i < 200 && received.length < n; i++) await new Promise((r) => setTimeout(r, 25));
    };
    await until(1);
    await send(g, ['live']);
    await until(2);

    const port = node.port;
    await node.close(); // the stream breaks
    node = await startNode({ db, port });
    // fetch may still hold a pooled connection to the old process: the first write can fail on it.
    await send(g, ['after-1', 'after-2']).catch(() => send(g, ['after-1', 'after-2']));
    await reading;
    expect(received).toEqual(['before', 'live', 'after-1', 'after-2'].map((t) => hexOf(g, t)));
    expect(reconnects.length).toBeGreaterThan(0);
  });
});
