/**
 * An in-process EVM chain for tests (Node only), served to viem as a JSON-RPC transport.
 *
 * Built on @ethereumjs/vm: one MerklePatriciaTrie state, one block per state change. `deploy` and
 * `send` run a call from any address (no signed transactions, no gas price, no balances needed),
 * commit it and mine a block; the state root after each block is kept, so `eth_call` and
 * `eth_getCode` at an older block run against that block's state. Calls never change state: they
 * run inside a checkpoint that is reverted. Requests are served one at a time.
 *
 * JSON-RPC served: eth_chainId, eth_blockNumber, eth_call (with `to`, or deployless: `data` only,
 * which runs the data as creation code and returns what it returns, as geth does), eth_getCode,
 * net_version. Block parameters: a number, latest / pending / safe / finalized, earliest. A revert
 * is reported like geth: code 3, "execution reverted[: reason]", revert data in `data`.
 * `serveJsonRpc` also puts it on http://127.0.0.1 for code that takes an RPC URL.
 */
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EVMRunCallOpts } from '@ethereumjs/evm';
import { bytesToHex, createAddressFromString, createZeroAddress, hexToBytes } from '@ethereumjs/util';
import { createVM } from '@ethereumjs/vm';
import { custom, decodeErrorResult, type CustomTransport, type Hex } from 'viem';

export interface LocalEvmOptions {
  /** Default 31337. */
  readonly chainId?: number;
}

export interface RpcCall {
  readonly method: string;
  readonly params: readonly unknown[];
}

export interface LocalEvm {
  readonly chainId: number;
  /** A viem transport for this chain (`createPublicClient({ transport })`). */
  readonly transport: CustomTransport;
  /** Every JSON-RPC request served, oldest first. */
  readonly requests: RpcCall[];
  /** The JSON-RPC entry point behind `transport`. */
  request(args: { method: string; params?: readonly unknown[] }): Promise<unknown>;
  /** The latest block number (0 = genesis, the empty state). */
  blockNumber(): bigint;
  /** Runs `initCode` as a contract creation from `from`, commits it in a new block. */
  deploy(initCode: Hex, from?: Hex): Promise<{ address: Hex; blockNumber: bigint }>;
  /** Runs a call from `from` (any address, no signature), commits it in a new block. Reverts throw. */
  send(tx: { from: Hex; to: Hex; data: Hex }): Promise<{ returnData: Hex; blockNumber: bigint }>;
  /** Mines `count` empty blocks. */
  mine(count?: number): Promise<bigint>;
}

type RunBlock = NonNullable<EVMRunCallOpts['block']>;

const GAS_LIMIT = 30_000_000n;
const GENESIS_TIME = 1_700_000_000n;
const DEFAULT_DEPLOYER: Hex = '0x00000000000000000000000000000000000d3b10';

/** A JSON-RPC error as a node returns it (viem reads `code`, `message` and `data`). */
export class LocalEvmRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Hex,
  ) {
    super(message);
  }
}

export async function startLocalEvm(options: LocalEvmOptions = {}): Promise<LocalEvm> {
  const chainId = options.chainId ?? 31337;
  const common = createCustomCommon({ chainId, name: `local-${chainId}` }, Mainnet, { hardfork: Hardfork.Prague });
  const vm = await createVM({ common });
  // State root after each block; index = block number.
  const roots: Uint8Array[] = [await vm.stateManager.getStateRoot()];
  const requests: RpcCall[] = [];
  let queue: Promise<unknown> = Promise.resolve();

  const head = () => BigInt(roots.length - 1);
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Runs `fn` against the state of block `n` (reverting whatever it changes). */
  async function atBlock<T>(n: bigint, fn: () => Promise<T>): Promise<T> {
    const historical = n !== head();
    if (historical) await vm.stateManager.setStateRoot(roots[Number(n)]!);
    await vm.stateManager.checkpoint();
    try {
      return await fn();
    } finally {
      await vm.stateManager.revert();
      if (historical) await vm.stateManager.setStateRoot(roots[roots.length - 1]!);
    }
  }

  /** Runs a call or creation; committed only when the caller commits the state manager. */
  async function run(opts: { from?: Hex; to?: Hex; data?: Hex; gas?: bigint }, blockNumber: bigint) {
    return vm.evm.runCall({
      block: blockEnv(blockNumber),
      caller: opts.from ? createAddressFromString(opts.from) : createZeroAddress(),
      origin: opts.from ? createAddressFromString(opts.from) : createZeroAddress(),
      ...(opts.to ? { to: createAddressFromString(opts.to) } : {}),
      data: opts.data ? hexToBytes(opts.data) : new Uint8Array(),
      gasLimit: opts.gas ?? GAS_LIMIT,
    });
  }

  /** Runs `fn` on top of the latest state, commits and mines one block. */
  async function mineWith<T>(fn: () => Promise<T>): Promise<T> {
    await vm.stateManager.checkpoint();
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      await vm.stateManager.revert();
      throw e;
    }
    await vm.stateManager.commit();
    roots.push(await vm.stateManager.getStateRoot());
    return result;
  }

  function resolveBlock(param: unknown): bigint {
    if (param === undefined || param === 'latest' || param === 'pending' || param === 'safe' || param === 'finalized') return head();
    if (param === 'earliest') return 0n;
    if (typeof param === 'string' && /^0x[0-9a-fA-F]+$/.test(param)) {
      const n = BigInt(param);
      if (n > head()) throw new LocalEvmRpcError(-32000, 'header not found');
      return n;
    }
    if (typeof param === 'object' && param !== null && 'blockNumber' in param) return resolveBlock((param as { blockNumber: unknown }).blockNumber);
    throw new LocalEvmRpcError(-32602, `invalid block parameter ${JSON.stringify(param)}`);
  }

  async function handle(method: string, params: readonly unknown[]): Promise<unknown> {
    switch (method) {
      case 'eth_chainId':
        return toQuantity(BigInt(chainId));
      case 'net_version':
        return String(chainId);
      case 'eth_blockNumber':
        return toQuantity(head());
      case 'eth_getCode': {
        const [address, block] = params as [Hex, unknown];
        const n = resolveBlock(block);
        return atBlock(n, async () => bytesToHex(await vm.stateManager.getCode(createAddressFromString(address))));
      }
      case 'eth_call': {
        const [tx, block, stateOverride] = params as [CallRequest, unknown, unknown];
        if (stateOverride !== undefined) throw new LocalEvmRpcError(-32602, 'state overrides are not supported');
        const n = resolveBlock(block);
        return atBlock(n, async () => {
          const result = await run({ from: tx.from, to: tx.to, data: tx.data ?? tx.input, gas: tx.gas ? BigInt(tx.gas) : undefined }, n);
          throwIfFailed(result.execResult);
          return bytesToHex(result.execResult.returnValue);
        });
      }
      default:
        throw new LocalEvmRpcError(-32601, `the method ${method} does not exist/is not available`);
    }
  }

  async function request(args: { method: string; params?: readonly unknown[] }): Promise<unknown> {
    const params = args.params ?? [];
    requests.push({ method: args.method, params });
    return serialized(() => handle(args.method, params));
  }

  return {
    chainId,
    transport: custom({ request: (args: { method: string; params?: readonly unknown[] }) => request(args) }, { retryCount: 0 }),
    requests,
    request,
    blockNumber: head,
    deploy: (initCode, from = DEFAULT_DEPLOYER) =>
      serialized(() =>
        mineWith(async () => {
          const result = await run({ from, data: initCode }, head() + 1n);
          throwIfFailed(result.execResult);
          if (!result.createdAddress) throw new Error('deploy: no contract created');
          return { address: result.createdAddress.toString() as Hex, blockNumber: head() + 1n };
        }),
      ),
    send: (tx) =>
      serialized(() =>
        mineWith(async () => {
          const result = await run(tx, head() + 1n);
          throwIfFailed(result.execResult);
          return { returnData: bytesToHex(result.execResult.returnValue) as Hex, blockNumber: head() + 1n };
        }),
      ),
    mine: (count = 1) =>
      serialized(async () => {
        for (let i = 0; i < count; i++) await mineWith(async () => undefined);
        return head();
      }),
  };
}

interface CallRequest {
  readonly from?: Hex;
  readonly to?: Hex;
  readonly data?: Hex;
  readonly input?: Hex;
  readonly gas?: Hex;
}

function blockEnv(number: bigint): RunBlock {
  return {
    header: {
      number,
      coinbase: createZeroAddress(),
      timestamp: GENESIS_TIME + number * 12n,
      difficulty: 0n,
      prevRandao: new Uint8Array(32),
      gasLimit: GAS_LIMIT,
      baseFeePerGas: 0n,
      getBlobGasPrice: () => 1n,
    },
  };
}

function throwIfFailed(execResult: { exceptionError?: { error: string }; returnValue: Uint8Array }): void {
  const error = execResult.exceptionError;
  if (!error) return;
  if (error.error === 'revert') {
    const data = bytesToHex(execResult.returnValue) as Hex;
    throw new LocalEvmRpcError(3, revertMessage(data), data);
  }
  throw new LocalEvmRpcError(-32000, error.error);
}

function revertMessage(data: Hex): string {
  try {
    const decoded = decodeErrorResult({ data });
    if (decoded.errorName === 'Error') return `execution reverted: ${String(decoded.args?.[0])}`;
  } catch {
    // Custom errors and empty reverts: no reason string.
  }
  return 'execution reverted';
}

function toQuantity(n: bigint): Hex {
  return `0x${n.toString(16)}`;
}

/** Serves `evm` as JSON-RPC over HTTP on 127.0.0.1 (single and batch requests). */
export async function serveJsonRpc(evm: LocalEvm): Promise<{ url: string; close(): Promise<void> }> {
  const answer = async (msg: { id?: unknown; method?: unknown; params?: unknown }) => {
    try {
      if (typeof msg.method !== 'string') throw new LocalEvmRpcError(-32600, 'invalid request');
      const result = await evm.request({ method: msg.method, params: Array.isArray(msg.params) ? msg.params : [] });
      return { jsonrpc: '2.0', id: msg.id ?? null, result };
    } catch (e) {
      const err = e instanceof LocalEvmRpcError ? e : new LocalEvmRpcError(-32603, (e as Error).message);
      return { jsonrpc: '2.0', id: msg.id ?? null, error: { code: err.code, message: err.message, ...(err.data ? { data: err.data } : {}) } };
    }
  };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      void (async () => {
        let reply: unknown;
        try {
          const parsed = JSON.parse(body) as unknown;
          reply = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed as object);
        } catch {
          reply = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } };
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
