/**
 * A real, throw-away PostgreSQL 15 server for tests. Runs in Node (vitest workers) only.
 *
 * `startPostgres()` creates a cluster in a fresh temp dir (initdb), starts `postgres` on 127.0.0.1
 * with a free random port (unix socket inside the temp dir, fsync off), waits until it accepts
 * connections, creates the database `xmtp_test` and resolves with its URL. `createDatabase()` makes
 * a further empty database per test. `stop()` shuts the server down (`pg_ctl stop -m fast`) and
 * removes the dir.
 *
 * As root the binaries run as the `postgres` user (postgres refuses to run as root); otherwise as
 * the current user. Binaries come from the Debian package `postgresql` (/usr/lib/postgresql/15/bin,
 * or $POSTGRES_BIN_DIR); without them it fails naming the package.
 *
 * A crashed test run cannot leave the server behind: an exit hook kills it, and a detached watchdog
 * kills it and removes the dir once the test process is gone, even after a SIGKILL.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface StartedPostgres {
  /** Connection URL of the database `xmtp_test`, user `postgres`, no password. */
  readonly url: string;
  /** The temp dir holding the cluster (data/), its socket (sock/) and its log (postgres.log). */
  readonly dir: string;
  /** Creates a new empty database and returns its URL (one per test keeps tests isolated). */
  createDatabase(): Promise<string>;
  /** Stops the server (fast shutdown) and removes its files. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_BIN_DIR = '/usr/lib/postgresql/15/bin';
const READY_TIMEOUT_MS = 30_000;

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

export async function startPostgres(): Promise<StartedPostgres> {
  const binDir = process.env.POSTGRES_BIN_DIR ?? DEFAULT_BIN_DIR;
  const initdb = path.join(binDir, 'initdb');
  const postgresBin = path.join(binDir, 'postgres');
  const pgCtl = path.join(binDir, 'pg_ctl');
  for (const bin of [initdb, postgresBin, pgCtl]) {
    if (!existsSync(bin)) {
      throw new Error(
        `PostgreSQL 15 is not installed: ${bin} is missing. Install the Debian package \`postgresql\` ` +
          '(run `bash scripts/system-deps.sh` as root, or `apt-get install -y postgresql`), ' +
          'or set POSTGRES_BIN_DIR to a directory holding initdb, postgres and pg_ctl.',
      );
    }
  }

  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'xmtp-pg-'));
  const dataDir = path.join(dir, 'data');
  const socketDir = path.join(dir, 'sock');
  const logFile = path.join(dir, 'postgres.log');
  mkdirSync(socketDir);
  if (runAs) {
    for (const p of [dir, socketDir]) chownSync(p, runAs.uid, runAs.gid);
  }

  let server: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  const killNow = (): void => {
    // Runs from process 'exit': synchronous only. SIGQUIT = immediate shutdown.
    if (server?.pid !== undefined && server.exitCode === null) {
      try {
        process.kill(server.pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
  };

  try {
    run(initdb, ['-D', dataDir, '--auth=trust', '-U', 'postgres', '--no-sync', '--no-locale', '-E', 'UTF8'], runAs);

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const logFd = openSync(logFile, 'a');
      if (runAs) chownSync(logFile, runAs.uid, runAs.gid);
      server = spawn(
        postgresBin,
        [
          '-D', dataDir,
          '-h', '127.0.0.1',
          '-p', String(port),
          '-k', socketDir,
          '-F',
          '-c', 'full_page_writes=off',
          '-c', 'synchronous_commit=off',
          '-c', 'shared_buffers=32MB',
          '-c', 'max_connections=200',
        ],
        { stdio: ['ignore', logFd, logFd], ...(runAs ?? {}) },
      );
      closeSync(logFd);
      server.unref();
      process.once('exit', killNow);
      watchdog ??= startWatchdog(dir);
      watchdog.stdin?.write(`${server.pid}\n`);

      const ready = await waitReady(port, server);
      if (ready === 'ready') break;
      process.removeListener('exit', killNow);
      // A port taken between freePort() and bind: try another one.
      if (attempt >= 3 || !/could not (bind|create listen socket)/i.test(tail(logFile))) {
        throw new Error(`PostgreSQL did not start (${ready}). Log:\n${tail(logFile)}`);
      }
    }

    const base = `postgresql://postgres@127.0.0.1:${port}`;
    await adminQuery(`${base}/postgres`, 'CREATE DATABASE xmtp_test');
    let counter = 0;
    let stopped = false;

    return {
      url: `${base}/xmtp_test`,
      dir,
      async createDatabase() {
        counter += 1;
        const name = `xmtp_test_${counter}`;
        await adminQuery(`${base}/postgres`, `CREATE DATABASE ${name}`);
        return `${base}/${name}`;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopServer(pgCtl, dataDir, server, runAs);
        process.removeListener('exit', killNow);
        watchdog?.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    killNow();
    process.removeListener('exit', killNow);
    watchdog?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function postgresUser(): RunAs {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch (error) {
    throw new Error(
      'Running as root, but there is no `postgres` user to run PostgreSQL as (PostgreSQL refuses to run as ' +
        'root). Install the Debian package `postgresql`, which creates it.',
      { cause: error },
    );
  }
}

function run(bin: string, args: string[], runAs: RunAs | undefined): void {
  try {
    execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...(runAs ?? {}) });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${path.basename(bin)} failed: ${e.stderr || e.stdout || e.message}`, { cause: error });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitReady(port: number, server: ChildProcess): Promise<'ready' | string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'timeout';
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      return `postgres exited with ${server.exitCode ?? server.signalCode}`;
    }
    const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return 'ready';
    } catch (error) {
      lastError = (error as Error).message;
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return `not accepting connections after ${READY_TIMEOUT_MS} ms: ${lastError}`;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function stopServer(pgCtl: string, dataDir: string, server: ChildProcess | undefined, runAs: RunAs | undefined): Promise<void> {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  try {
    run(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], runAs);
  } catch {
    server.kill('SIGQUIT');
  }
  if (server.exitCode === null && server.signalCode === null) {
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  }
}

/**
 * A detached shell that outlives us: it reads the server's pid from its stdin, and when its stdin
 * closes (this process is gone, however it died) it kills that server and removes the temp dir.
 * stop() kills the watchdog first, so a clean shutdown never races it.
 */
function startWatchdog(dir: string): ChildProcess {
  const script =
    'pids=""; while read -r pid; do pids="$pids $pid"; done; ' +
    'for p in $pids; do kill -QUIT "$p" 2>/dev/null; done; ' +
    'i=0; while [ $i -lt 50 ]; do alive=""; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done; ' +
    '[ -z "$alive" ] && break; sleep 0.1; i=$((i+1)); done; ' +
    'for p in $pids; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$1"';
  const child = spawn('/bin/sh', ['-c', script, 'xmtp-pg-watchdog', dir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  // The pipe must not keep the event loop alive, but stays open for as long as we live.
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return child;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-4000);
  } catch {
    return '(no log)';
  }
}
