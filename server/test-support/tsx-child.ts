/**
 * Runs a TypeScript ES module snippet in a separate Node process (through tsx), for tests that must
 * kill a process: crash safety of the stores and of the test PostgreSQL. Runs in Node (vitest) only.
 *
 * Guarantees: the child's first stdout line that starts with `{` is parsed as JSON and returned;
 * the child's stderr goes to ours; if the child exits before printing that line, the promise
 * rejects with its exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TsxChild<T> {
  readonly child: ChildProcess;
  /** The first JSON line the child printed. */
  readonly ready: Promise<T>;
  /** Kills the child with SIGKILL (no exit handlers run) and waits until it is gone. */
  kill(): Promise<void>;
}

/** `source` is an ES module; import project files by absolute path (see `projectPath`). */
export function runTsxChild<T>(source: string): TsxChild<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<T>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{') && out.includes(`${l}\n`));
      if (line) resolve(JSON.parse(line) as T);
    });
    child.once('exit', (code, signal) => reject(new Error(`child exited before it was ready (${code ?? signal})`)));
  });
  return {
    child,
    ready,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The absolute path of a project file, as a string literal for an import in a child's source. */
export function projectPath(relative: string): string {
  return JSON.stringify(path.join(projectRoot, relative));
}
