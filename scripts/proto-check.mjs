#!/usr/bin/env node
// Fails when src/gen/ is not exactly what `npm run proto` generates from proto/ (stale or hand-edited).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const committed = path.join(ROOT, 'src/gen');
const fresh = mkdtempSync(path.join(tmpdir(), 'proto-check-'));

try {
  execFileSync('npx', ['buf', 'generate', '--output', fresh], { cwd: ROOT, stdio: 'inherit' });
  const a = listFiles(committed);
  const b = listFiles(path.join(fresh, 'src/gen'));
  const problems = [];
  for (const f of b) if (!a.includes(f)) problems.push(`missing in src/gen: ${f}`);
  for (const f of a) if (!b.includes(f)) problems.push(`not generated from proto/: src/gen/${f}`);
  for (const f of a.filter((x) => b.includes(x))) {
    if (!readFileSync(path.join(committed, f)).equals(readFileSync(path.join(fresh, 'src/gen', f)))) {
      problems.push(`stale or edited: src/gen/${f}`);
    }
  }
  if (problems.length > 0) {
    console.error(`src/gen is out of date with proto/ (run "npm run proto"):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`src/gen is up to date (${a.length} files)`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}

function listFiles(dir, prefix = '') {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(listFiles(full, `${prefix}${name}/`));
    else out.push(`${prefix}${name}`);
  }
  return out.sort();
}
