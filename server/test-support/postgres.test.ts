import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { startPostgres } from './postgres.js';
import { projectPath, runTsxChild } from './tsx-child.js';

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

const refuses = (url: string) => async () => query(url, 'SELECT 1').then(() => false, () => true);

describe('startPostgres', () => {
  test('default: a real PostgreSQL 15 with separate databases per test; stop() shuts it down and removes its files', async () => {
    const server = await startPostgres();
    try {
      const [row] = await query(server.url, 'SHOW server_version_num');
      expect(String(row!.server_version_num)).toMatch(/^15/);
      const [settings] = await query(server.url, "SELECT current_database() AS db, current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen");
      expect(settings).toEqual({ db: 'xmtp_test', fsync: 'off', listen: '127.0.0.1' });
      if (process.getuid?.() === 0) {
        // As root the cluster belongs to (and the server runs as) the postgres user.
        expect(statSync(path.join(server.dir, 'data')).uid).not.toBe(0);
      }
      const a = await server.createDatabase();
      const b = await server.createDatabase();
      expect(a).not.toBe(b);
      await query(a, 'CREATE TABLE only_in_a (x INT)');
      expect(await query(b, "SELECT to_regclass('only_in_a') AS t")).toEqual([{ t: null }]);
    } finally {
      await server.stop();
    }
    expect(await refuses(server.url)()).toBe(true);
    expect(existsSync(server.dir)).toBe(false);
    await server.stop(); // idempotent
  });

  test('behavior: a test process that dies (SIGKILL) leaves no server and no files behind', async () => {
    const run = runTsxChild<{ url: string; dir: string }>(`import { startPostgres } from ${projectPath('server/test-support/postgres.ts')};
      const s = await startPostgres();
      console.log(JSON.stringify({ url: s.url, dir: s.dir }));
      setInterval(() => {}, 1000);`);
    const started = await run.ready;
    expect(await query(started.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await run.kill();
    expect(await waitFor(refuses(started.url), 10_000)).toBe(true);
    expect(await waitFor(() => !existsSync(started.dir), 10_000)).toBe(true);
  });

  test('error: without the PostgreSQL binaries it fails naming the package to install', async () => {
    const saved = process.env.POSTGRES_BIN_DIR;
    process.env.POSTGRES_BIN_DIR = '/nonexistent/postgresql/bin';
    try {
      await expect(startPostgres()).rejects.toThrow(/Debian package `postgresql`/);
    } finally {
      if (saved === undefined) delete process.env.POSTGRES_BIN_DIR;
      else process.env.POSTGRES_BIN_DIR = saved;
    }
  });
});
