#!/usr/bin/env node
// `npm start`: starts the local XMTP node (SQLite under .xmtp-node/, port 5556), builds the
// extension and opens Chromium with it loaded, in a profile kept under .xmtp-dev/ so your data
// survives restarts. Without a display it keeps the node running and says how to load the extension.
// Ctrl-C stops everything.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXTENSION = path.join(ROOT, '.output/chrome-mv3');
const PROFILE = path.join(ROOT, '.xmtp-dev/chromium-profile');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PORT = process.env.XMTP_NODE_PORT ?? '5556';

const children = [];
function stopAll(code = 0) {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(0));

// 1. The local node.
const node = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'server/main.ts', '--port', PORT, '--db', '.xmtp-node/node.db'], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(node);
const url = await new Promise((resolve, reject) => {
  let out = '';
  node.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  node.once('exit', (code) => reject(new Error(`the local node exited (${code}); is port ${PORT} in use? Set XMTP_NODE_PORT to use another.`)));
}).catch((e) => {
  console.error(`start: ${e.message}`);
  process.exit(1);
});
console.log(`Local XMTP node: ${url} (data in .xmtp-node/)`);

// 2. The extension.
execFileSync('npx', ['wxt', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (!existsSync(CHROMIUM)) execFileSync('bash', [path.join(ROOT, 'scripts/system-deps.sh')], { stdio: 'inherit' });

// 3. Chromium.
if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.log(`\nThe extension is built in ${EXTENSION}.`);
  console.log('No display found. Load it in Chromium yourself (chrome://extensions → Developer mode →');
  console.log('"Load unpacked" → that folder), or run under a virtual display: xvfb-run -a npm start');
  console.log('The node keeps running; Ctrl-C stops it.');
} else {
  mkdirSync(PROFILE, { recursive: true });
  console.log(`\nOpening Chromium with the extension (profile: ${PROFILE}). Click the XMTP icon in the toolbar.`);
  const browser = spawn(
    CHROMIUM,
    [
      `--user-data-dir=${PROFILE}`,
      `--disable-extensions-except=${EXTENSION}`,
      `--load-extension=${EXTENSION}`,
      '--no-first-run',
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      'chrome://extensions',
    ],
    { stdio: 'inherit' },
  );
  children.push(browser);
  browser.on('exit', () => stopAll(0));
}
node.on('exit', (code) => {
  console.error(`start: the local node stopped (${code})`);
  stopAll(code ?? 1);
});
