/**
 * `npm run node -- [--host H] [--port P] [--db PATH|:memory:|postgres://…] [--rate-limit N/SECONDS | --no-rate-limit]
 *                  [--chain-rpc CHAIN_ID=URL]…`
 *
 * `--chain-rpc` (repeatable, one per chain) gives the JSON-RPC endpoint VerifySmartContractWalletSignatures
 * checks ERC-1271 / ERC-6492 signatures of that chain against; chains without one are answered
 * is_valid=false with "no chain RPC configured for chain N".
 *
 * Runs the local XMTP node. Prints `listening on http://HOST:PORT` once it accepts requests; on
 * SIGINT or SIGTERM it stops taking requests, finishes what it acknowledged, closes the store and
 * exits 0. Bad options print a usage message and exit 2. Node only.
 */
import { parseArgs } from 'node:util';
import { chainRpcVerifierFromOptions } from './chain-rpc.js';
import { startNode } from './node.js';
import { NETWORK_WRITE_LIMIT, type RateLimitOptions } from './rate-limit.js';

const USAGE = `usage: npm run node -- [--host 127.0.0.1] [--port 5556] [--db ./.xmtp-node/node.db | :memory: | postgres://…]
                     [--rate-limit WRITES/SECONDS (default 3000/300) | --no-rate-limit]
                     [--chain-rpc CHAIN_ID=URL (repeatable, e.g. 8453=https://mainnet.base.org)]`;

function fail(message: string): never {
  console.error(`node: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseRateLimit(value: string): RateLimitOptions {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m || Number(m[1]) <= 0 || Number(m[2]) <= 0) fail(`--rate-limit must look like 3000/300 (writes per seconds), got ${value}`);
  return { writes: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '5556' },
        db: { type: 'string', default: './.xmtp-node/node.db' },
        'rate-limit': { type: 'string' },
        'no-rate-limit': { type: 'boolean', default: false },
        'chain-rpc': { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0-65535, got ${values.port}`);
  if (values['no-rate-limit'] && values['rate-limit']) fail('--rate-limit and --no-rate-limit exclude each other');
  const rateLimit = values['no-rate-limit'] ? undefined : values['rate-limit'] ? parseRateLimit(values['rate-limit']) : NETWORK_WRITE_LIMIT;
  let scwVerifier;
  try {
    scwVerifier = chainRpcVerifierFromOptions(values['chain-rpc']);
  } catch (e) {
    fail((e as Error).message);
  }

  let node;
  try {
    node = await startNode({ db: values.db, host: values.host, port, ...(rateLimit ? { rateLimit } : {}), ...(scwVerifier ? { scwVerifier } : {}) });
  } catch (e) {
    console.error(`node: could not start: ${(e as Error).message}`);
    process.exit(1);
  }
  console.log(`listening on ${node.url}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`node: ${signal}, shutting down`);
    node.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`node: error while shutting down: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
