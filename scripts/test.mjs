#!/usr/bin/env node
// `npm test`: every suite, in order, stopping at nothing so one run shows every failure:
// generated code up to date, typecheck, lint, unit tests (vitest), interop with real libxmtp clients
// (vitest, interop/), browser end-to-end (Playwright).
// Ends with one summary line "tests: N passed, N failed" and a non-zero exit if anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, '.test-results');
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const only = process.argv.slice(2);
const steps = [
  { name: 'proto', cmd: ['node', 'scripts/proto-check.mjs'] },
  { name: 'typecheck', cmd: ['npx', 'tsc', '--noEmit'] },
  { name: 'lint', cmd: ['npx', 'eslint', '.'] },
  {
    name: 'unit',
    cmd: ['npx', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(OUT, 'vitest.json')}`],
    count: () => countVitest(path.join(OUT, 'vitest.json')),
  },
  {
    name: 'interop',
    cmd: ['npx', 'vitest', 'run', '--config', 'vitest.interop.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(OUT, 'interop.json')}`],
    count: () => countVitest(path.join(OUT, 'interop.json')),
  },
  {
    name: 'e2e',
    cmd: ['npx', 'playwright', 'test'],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(OUT, 'playwright.json') },
    count: () => countPlaywright(path.join(OUT, 'playwright.json')),
  },
].filter((s) => only.length === 0 || only.includes(s.name));

let passed = 0;
let failed = 0;
const summary = [];
for (const step of steps) {
  const started = Date.now();
  console.log(`\n=== ${step.name}: ${step.cmd.join(' ')}`);
  const run = spawnSync(step.cmd[0], step.cmd.slice(1), {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...step.env },
  });
  const ok = run.status === 0;
  const counted = step.count?.();
  if (counted) {
    passed += counted.passed;
    failed += counted.failed;
    // A runner that crashed before reporting still counts as a failure.
    if (!ok && counted.failed === 0) failed += 1;
  } else if (ok) {
    passed += 1;
  } else {
    failed += 1;
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  summary.push(`${ok ? 'ok  ' : 'FAIL'} ${step.name} (${secs}s)${counted ? ` ${counted.passed} passed, ${counted.failed} failed` : ''}`);
}

console.log(`\n${summary.join('\n')}`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

function countVitest(file) {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return { passed: r.numPassedTests ?? 0, failed: (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0) };
}

function countPlaywright(file) {
  if (!existsSync(file)) return undefined;
  const s = JSON.parse(readFileSync(file, 'utf8')).stats ?? {};
  return { passed: (s.expected ?? 0) + (s.flaky ?? 0), failed: s.unexpected ?? 0 };
}
