/**
 * `npm run bench:node`: the local node's ingest throughput (SendGroupMessages) and the latency of a
 * 100-message QueryGroupMessages page, with SQLite and with PostgreSQL. The node runs as its own
 * process (as `npm run node` starts it) and is driven over gRPC/HTTP/2 like libxmtp drives it:
 * requests are encoded before the clock starts and responses are not decoded while it runs, so the
 * numbers are the node's, not this TypeScript client's.
 * Prints a table and writes bench/results/node.json. Goals (SQLite, 2 cores): ≥ 5,000 messages/s
 * ingest, p99 page query < 10 ms.
 *
 *   npm run bench:node [-- --messages 20000 --queries 1000 --only sqlite|postgres]
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import http2 from 'node:http2';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  QueryGroupMessagesRequestSchema,
  QueryGroupMessagesResponseSchema,
  SendGroupMessagesRequestSchema,
  SortDirection,
} from '../src/gen/mls/api/v1/mls_pb.js';
import { groupId, privateMessage } from '../server/test-support/clients.js';
import { startNodeProcess } from './node-process.js';
import { startPostgres } from '../server/test-support/postgres.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    queries: { type: 'string', default: '1000' },
    only: { type: 'string' },
  },
});
const MESSAGES = Number(values.messages);
const QUERIES = Number(values.queries);
const GROUPS = 100;
const BATCH = 100;
const CONCURRENCY = 4;

interface Result {
  backend: string;
  ingest: { messages: number; batch: number; concurrency: number; seconds: number; messagesPerSecond: number };
  ingestSingle: { messages: number; seconds: number; messagesPerSecond: number };
  query: { queries: number; pageSize: number; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One unary gRPC call over an HTTP/2 session; resolves with the response payload, throws on a non-OK status. */
function call(session: http2.ClientHttp2Session, method: string, body: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    const req = session.request({ ':method': 'POST', ':path': `/xmtp.mls.api.v1.MlsApi/${method}`, 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    let status = '';
    req.on('response', (h) => (status = String(h['grpc-status'] ?? status)));
    req.on('trailers', (h) => (status = String(h['grpc-status'] ?? status)));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      if (status !== '0') return reject(new Error(`${method}: grpc-status ${status}`));
      resolve(Buffer.concat(chunks).subarray(5));
    });
    req.end(frame);
  });
}

async function run(backend: string, db: string): Promise<Result> {
  const node = await startNodeProcess(db);
  const session = http2.connect(node.url);
  const mls = {
    sendGroupMessages: (body: Uint8Array) => call(session, 'SendGroupMessages', body),
    queryGroupMessages: (body: Uint8Array) => call(session, 'QueryGroupMessages', body),
  };
  try {
    // Build every request up front so that only the node's work is timed.
    const batches: Uint8Array[][] = [];
    for (let i = 0; i < MESSAGES; i += BATCH) {
      batches.push(Array.from({ length: Math.min(BATCH, MESSAGES - i) }, (_, j) => privateMessage(groupId((i + j) % GROUPS), 1, `${backend}-${i + j}-${'x'.repeat(200)}`)));
    }
    const toRequest = (batch: Uint8Array[]) =>
      toBinary(
        SendGroupMessagesRequestSchema,
        create(SendGroupMessagesRequestSchema, {
          messages: batch.map((data) => ({ version: { case: 'v1' as const, value: { data, senderHmac: new Uint8Array(32), shouldPush: true } } })),
        }),
      );
    const requests = batches.map(toRequest);
    await mls.sendGroupMessages(toRequest([privateMessage(groupId(10_000), 1, 'warm-up')]));

    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) await mls.sendGroupMessages(requests[next++]!);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;

    const singles = Math.min(2000, MESSAGES / 10);
    const singleRequests = Array.from({ length: singles }, (_, i) => toRequest([privateMessage(groupId(20_000), 1, `single-${i}`)]));
    const t1 = performance.now();
    for (const request of singleRequests) await mls.sendGroupMessages(request);
    const singleSeconds = (performance.now() - t1) / 1000;

    const perGroup = MESSAGES / GROUPS;
    const queries = Array.from({ length: GROUPS }, (_, g) =>
      toBinary(QueryGroupMessagesRequestSchema, create(QueryGroupMessagesRequestSchema, { groupId: groupId(g), pagingInfo: { direction: SortDirection.ASCENDING, limit: 100 } })),
    );
    // Warm up (JIT, caches) before measuring the steady state.
    for (let i = 0; i < 200; i++) await mls.queryGroupMessages(queries[i % GROUPS]!);
    const latencies: number[] = [];
    const pages: Uint8Array[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const t = performance.now();
      const page = await mls.queryGroupMessages(queries[i % GROUPS]!);
      latencies.push(performance.now() - t);
      if (i < GROUPS) pages.push(page); // keep only what is checked: retained pages would make this client's GC part of the numbers
    }
    for (const page of pages.slice(0, GROUPS)) {
      const { messages } = fromBinary(QueryGroupMessagesResponseSchema, page);
      if (messages.length !== Math.min(100, perGroup)) throw new Error(`page of ${messages.length} messages`);
    }
    latencies.sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      backend,
      ingest: { messages: MESSAGES, batch: BATCH, concurrency: CONCURRENCY, seconds: round(seconds), messagesPerSecond: Math.round(MESSAGES / seconds) },
      ingestSingle: { messages: singles, seconds: round(singleSeconds), messagesPerSecond: Math.round(singles / singleSeconds) },
      query: {
        queries: QUERIES,
        pageSize: 100,
        p50Ms: round(percentile(latencies, 50)),
        p95Ms: round(percentile(latencies, 95)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(latencies[latencies.length - 1]!),
      },
    };
  } finally {
    session.close();
    await node.stop();
  }
}

const results: Result[] = [];
const scratch = mkdtempSync(path.join(tmpdir(), 'node-bench-'));
try {
  if (!values.only || values.only === 'sqlite') results.push(await run('sqlite', path.join(scratch, 'node.db')));
  if (!values.only || values.only === 'postgres') {
    const pg = await startPostgres();
    try {
      results.push(await run('postgres', await pg.createDatabase()));
    } finally {
      await pg.stop();
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`\nnode benchmark: ${MESSAGES} messages in ${GROUPS} groups, ${cpus().length} cores, Node ${process.version}`);
console.log('backend   | ingest msg/s (batch 100, 4 in flight) | ingest msg/s (1 per request) | page query p50 / p95 / p99 ms');
console.log('----------|----------------------------------------|------------------------------|------------------------------');
for (const r of results) {
  console.log(
    `${r.backend.padEnd(9)} | ${String(r.ingest.messagesPerSecond).padStart(38)} | ${String(r.ingestSingle.messagesPerSecond).padStart(28)} | ${r.query.p50Ms} / ${r.query.p95Ms} / ${r.query.p99Ms}`,
  );
}
const sqlite = results.find((r) => r.backend === 'sqlite');
if (sqlite) {
  console.log(`\ngoals (SQLite): ingest ≥ 5000 msg/s: ${sqlite.ingest.messagesPerSecond >= 5000 ? 'met' : 'NOT met'}; p99 page < 10 ms: ${sqlite.query.p99Ms < 10 ? 'met' : 'NOT met'}`);
}
const out = path.join(ROOT, 'bench/results/node.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, node: process.version, results }, null, 2)}\n`);
console.log(`saved ${path.relative(ROOT, out)}`);
