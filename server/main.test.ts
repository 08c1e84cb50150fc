// The node's command line as a user runs it: start, serve, stop on a signal, keep every acknowledged write.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { groupId, grpcClients, privateMessage } from './test-support/clients.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'node-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function start(args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m) resolve({ child, url: m[1]!, exited });
    });
    void exited.then((code) => reject(new Error(`node exited (${code}) before listening: ${out}`)));
  });
}

const send = (url: string, data: Uint8Array[]) =>
  grpcClients(url).mls.sendGroupMessages({ messages: data.map((d) => ({ version: { case: 'v1', value: { data: d } } })) });

describe('npm run node', () => {
  test('default: prints where it listens, and after SIGTERM every acknowledged write is still there', async () => {
    const db = path.join(scratch, 'a', 'node.db');
    const first = await start(['--port', '0', '--db', db, '--no-rate-limit']);
    const g = groupId(1);
    const acknowledged: number[] = [];
    // Writes in flight while the signal arrives: the ones that were acknowledged must survive.
    const writes = Array.from({ length: 200 }, (_, i) =>
      send(first.url, [privateMessage(g, 1, `m${i}`)]).then(
        () => acknowledged.push(i),
        () => undefined,
      ),
    );
    await new Promise((r) => setTimeout(r, 30));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await Promise.all(writes);
    expect(acknowledged.length).toBeGreaterThan(0);

    const second = await start(['--port', '0', '--db', db, '--no-rate-limit']);
    try {
      const stored = new Set<string>();
      let cursor = 0n;
      for (;;) {
        const { messages } = await grpcClients(second.url).mls.queryGroupMessages({ groupId: g, pagingInfo: { direction: 1, idCursor: cursor } });
        for (const m of messages) if (m.version.case === 'v1') stored.add(Buffer.from(m.version.value.data).toString('hex'));
        if (messages.length < 100) break;
        const last = messages.at(-1)!.version.value!;
        cursor = last.id;
      }
      for (const i of acknowledged) expect(stored.has(Buffer.from(privateMessage(g, 1, `m${i}`)).toString('hex')), `write ${i}`).toBe(true);
    } finally {
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    }
  });

  test('behavior: --db :memory: and the rate limit refuse writes over the limit', async () => {
    const node = await start(['--port', '0', '--db', ':memory:', '--rate-limit', '2/60']);
    try {
      await send(node.url, [privateMessage(groupId(2), 1, 'a')]);
      await send(node.url, [privateMessage(groupId(2), 1, 'b')]);
      await expect(send(node.url, [privateMessage(groupId(2), 1, 'c')])).rejects.toThrow(/rate limit exceeded/);
      // reads are not limited
      expect((await grpcClients(node.url).mls.queryGroupMessages({ groupId: groupId(2) })).messages).toHaveLength(2);
    } finally {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  });

  test('behavior: `npm run node` stops cleanly when its process group gets SIGTERM (as a supervisor or Ctrl-C sends it)', async () => {
    const child = spawn('npm', ['run', '-s', 'node', '--', '--port', '0', '--db', ':memory:'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => /listening on/.test(d.toString()) && resolve()));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    const left = () => spawnSync('pgrep', ['-g', String(child.pid)], { encoding: 'utf8' }).stdout.trim();
    for (let i = 0; i < 50 && left() !== ''; i++) await new Promise((r) => setTimeout(r, 100));
    expect(left()).toBe('');
    expect(err).toMatch(/SIGTERM, shutting down/);
  });

  test('error: bad options exit 2 with a usage message', () => {
    for (const args of [['--port', 'x'], ['--rate-limit', '5'], ['--bogus'], ['--rate-limit', '1/1', '--no-rate-limit']]) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage: npm run node/);
    }
  });
});
