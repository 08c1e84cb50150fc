// Browser end-to-end tests: the built extension in Debian's Chromium (see e2e/fixtures.ts).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  // Builds the extension once before any test; SKIP_BUILD=1 reuses .output/.
  globalSetup: './e2e/global-setup.ts',
  // Each test launches its own Chromium with a fresh profile; 2 cores, so one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  retries: 0,
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
});
