import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeStoreContract } from '../src/protocol/storage/store-contract.js';
import { openSqliteClientStore } from './sqlite-client-store.js';

describeStoreContract('SQLite file (CLI)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-store-'));
  const file = path.join(dir, 'client.db');
  const opened = [openSqliteClientStore(file)];
  return {
    store: opened[0]!,
    reopen: async () => {
      const again = openSqliteClientStore(file);
      opened.push(again);
      return again;
    },
    close: async () => {
      for (const s of opened) s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
