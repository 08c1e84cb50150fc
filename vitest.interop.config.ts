// Interop suite (interop/*.interop.test.ts): real libxmtp clients against our node. Slow (minutes),
// so it has its own config: long timeouts, one forked worker, one file at a time.
// Run: npx vitest run --config vitest.interop.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['interop/**/*.interop.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // the first run installs Node 22 + glibc + @xmtp/node-sdk (scripts/libxmtp-runtime.sh)
    hookTimeout: 20 * 60_000,
    testTimeout: 5 * 60_000,
    teardownTimeout: 60_000,
  },
});
