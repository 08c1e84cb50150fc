// Builds the extension once for the whole end-to-end run (skip with SKIP_BUILD=1).
import { execFileSync } from 'node:child_process';

export default function globalSetup(): void {
  if (process.env.SKIP_BUILD) return;
  execFileSync('npx', ['wxt', 'build'], { stdio: 'inherit' });
}
