#!/usr/bin/env node
// `npm start`: builds the extension and opens Chromium with it loaded, in a profile kept under
// .xmtp-dev/ so your data survives restarts. Without a display it prints how to load it yourself.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXTENSION = path.join(ROOT, '.output/chrome-mv3');
const PROFILE = path.join(ROOT, '.xmtp-dev/chromium-profile');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

execFileSync('npx', ['wxt', 'build'], { cwd: ROOT, stdio: 'inherit' });

if (!existsSync(CHROMIUM)) {
  execFileSync('bash', [path.join(ROOT, 'scripts/system-deps.sh')], { stdio: 'inherit' });
}

if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.log(`\nThe extension is built in ${EXTENSION}.`);
  console.log('No display found. Load it in Chromium yourself (chrome://extensions → Developer mode →');
  console.log('"Load unpacked" → that folder), or run under a virtual display: xvfb-run -a npm start');
  process.exit(0);
}

mkdirSync(PROFILE, { recursive: true });
console.log(`\nOpening Chromium with the extension (profile: ${PROFILE}). Click the XMTP icon in the toolbar.`);
const child = spawn(
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
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
