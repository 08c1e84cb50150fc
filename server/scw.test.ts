// VerifySmartContractWalletSignatures through the real node, against a real ERC-1271 wallet on an
// in-process EVM (as libxmtp's RemoteSignatureVerifier asks it).
import { Code, ConnectError } from '@connectrpc/connect';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createChainRpcVerifier, hashForScw } from '../src/protocol/identity/smart-contract-wallet.js';
import { serveJsonRpc, startLocalEvm, type LocalEvm } from '../src/protocol/test-support/local-evm.js';
import {
  counterfactualWalletAddress,
  deployTestWallet,
  deployTestWalletFactory,
  signForTestWallet,
  wrapErc6492,
} from '../src/protocol/test-support/scw-wallet.js';
import { chainRpcVerifierFromOptions } from './chain-rpc.js';
import { startNode, type RunningNode } from './node.js';
import { IDENTITY_LIMITS } from './services/identity-api.js';
import { grpcClients, grpcWebClients } from './test-support/clients.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHAIN_ID = 31337;
const owner = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
const hash = hashForScw('XMTP : Authenticate to inbox\n\nInbox ID: scw');

let evm: LocalEvm;
let node: RunningNode;
let bare: RunningNode;
let wallet: Hex;
let walletBlock: bigint;
let factory: Hex;
let ownerSig: Uint8Array;

const accountId = (address: Hex, chainId = CHAIN_ID) => `eip155:${chainId}:${address}`;

beforeAll(async () => {
  evm = await startLocalEvm({ chainId: CHAIN_ID });
  ({ address: wallet, blockNumber: walletBlock } = await deployTestWallet(evm, owner.address));
  factory = await deployTestWalletFactory(evm);
  ownerSig = await signForTestWallet(owner, hash);
  node = await startNode({ db: ':memory:', scwVerifier: createChainRpcVerifier({ chains: { [CHAIN_ID]: evm.transport } }) });
  bare = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
  await bare?.close();
});

async function codeAndMessage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const err = ConnectError.from(e);
    return `${Code[err.code]}: ${err.rawMessage}`;
  }
}

describe.each([
  ['gRPC', () => grpcClients(node.url)],
  ['gRPC-web', () => grpcWebClients(node.url)],
])('VerifySmartContractWalletSignatures over %s', (_protocol, clients) => {
  test('valid: the wallet owner signed (ERC-1271), at the latest block', async () => {
    const { responses } = await clients().identity.verifySmartContractWalletSignatures({
      signatures: [{ accountId: accountId(wallet), hash, signature: ownerSig }],
    });
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ isValid: true, blockNumber: evm.blockNumber() });
    expect(responses[0]!.error).toBeUndefined();
  });

  test('invalid: another EOA signed', async () => {
    const { responses } = await clients().identity.verifySmartContractWalletSignatures({
      signatures: [{ accountId: accountId(wallet), hash, signature: await signForTestWallet(stranger, hash) }],
    });
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ isValid: false, blockNumber: evm.blockNumber() });
    expect(responses[0]!.error).toBeUndefined();
  });

  test('a batch is answered one response per signature, in order', async () => {
    const salt = toHex(7n, { size: 32 });
    const counterfactual = counterfactualWalletAddress(factory, owner.address, salt);
    const tampered = hash.slice();
    tampered[31]! ^= 0xff;
    const { responses } = await clients().identity.verifySmartContractWalletSignatures({
      signatures: [
        { accountId: accountId(wallet), hash, signature: ownerSig, blockNumber: walletBlock },
        { accountId: accountId(wallet), hash, signature: ownerSig, blockNumber: walletBlock - 1n },
        { accountId: accountId(wallet), hash: tampered, signature: ownerSig },
        { accountId: accountId(counterfactual), hash, signature: wrapErc6492(factory, owner.address, salt, ownerSig) },
        { accountId: accountId(wallet, 1), hash, signature: ownerSig },
        { accountId: `eip155:${CHAIN_ID}`, hash, signature: ownerSig },
      ],
    });
    expect(responses.map((r) => [r.isValid, r.blockNumber, r.error])).toEqual([
      [true, walletBlock, undefined],
      [false, walletBlock - 1n, undefined], // the wallet was not deployed yet
      [false, evm.blockNumber(), undefined],
      [true, evm.blockNumber(), undefined], // ERC-6492, wallet not deployed
      [false, undefined, 'no chain RPC configured for chain 1'],
      [false, undefined, `malformed account id "eip155:${CHAIN_ID}": expected 3 parts separated by ':' (eip155:<chainId>:<address>), got 2`],
    ]);
  });
});

describe('input checks', () => {
  const call = (signatures: { accountId: string; hash: Uint8Array; signature: Uint8Array }[]) =>
    codeAndMessage(grpcClients(node.url).identity.verifySmartContractWalletSignatures({ signatures }));

  test('error: a hash that is not 32 bytes', async () => {
    expect(await call([{ accountId: accountId(wallet), hash, signature: ownerSig }, { accountId: accountId(wallet), hash: hash.slice(1), signature: ownerSig }])).toBe(
      'InvalidArgument: signatures[1]: hash must be the 32-byte EIP-191 digest, got 31 bytes',
    );
  });

  test('error: too many signatures', async () => {
    const n = IDENTITY_LIMITS.scwSignaturesPerRequest + 1;
    expect(await call(Array.from({ length: n }, () => ({ accountId: accountId(wallet), hash, signature: ownerSig })))).toBe(
      `InvalidArgument: too many signatures: ${n} (at most ${IDENTITY_LIMITS.scwSignaturesPerRequest})`,
    );
  });

  test('error: an oversized signature', async () => {
    const big = new Uint8Array(IDENTITY_LIMITS.scwSignatureBytes + 1);
    expect(await call([{ accountId: accountId(wallet), hash, signature: big }])).toBe(
      `InvalidArgument: signatures[0]: signature is ${big.length} bytes (at most ${IDENTITY_LIMITS.scwSignatureBytes})`,
    );
  });

  test('an empty request gets an empty answer', async () => {
    expect((await grpcClients(node.url).identity.verifySmartContractWalletSignatures({ signatures: [] })).responses).toEqual([]);
  });
});

test('a node without chain RPCs answers each signature with a clear error', async () => {
  const { responses } = await grpcClients(bare.url).identity.verifySmartContractWalletSignatures({
    signatures: [
      { accountId: accountId(wallet), hash, signature: ownerSig },
      { accountId: accountId(wallet, 8453), hash, signature: ownerSig },
    ],
  });
  expect(responses.map((r) => [r.isValid, r.error])).toEqual([
    [false, `no chain RPC configured for chain ${CHAIN_ID}`],
    [false, 'no chain RPC configured for chain 8453'],
  ]);
});

describe('npm run node -- --chain-rpc', () => {
  function run(args: string[], untilListening: boolean) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', '--db', ':memory:', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const listening = untilListening
      ? new Promise<string>((resolve, reject) => {
          child.stdout.on('data', () => {
            const m = /^listening on (http:\/\/\S+)$/m.exec(out);
            if (m) resolve(m[1]!);
          });
          void exited.then((code) => reject(new Error(`node exited (${code}): ${out}${err}`)));
        })
      : undefined;
    return { child, exited, listening, stderr: () => err };
  }

  test('behavior: verifies against the chain RPC URL it was given', async () => {
    const rpc = await serveJsonRpc(evm);
    const cli = run(['--chain-rpc', `${CHAIN_ID}=${rpc.url}`, '--chain-rpc', `8453=${rpc.url}`], true);
    try {
      const url = await cli.listening!;
      const { responses } = await grpcClients(url).identity.verifySmartContractWalletSignatures({
        signatures: [
          { accountId: accountId(wallet), hash, signature: ownerSig },
          { accountId: accountId(wallet), hash, signature: await signForTestWallet(stranger, hash) },
          { accountId: accountId(wallet, 8453), hash, signature: ownerSig },
          { accountId: accountId(wallet, 10), hash, signature: ownerSig },
        ],
      });
      expect(responses.map((r) => [r.isValid, r.error])).toEqual([
        [true, undefined],
        [false, undefined],
        [false, `chain 8453: the RPC configured for it serves chain ${CHAIN_ID}`],
        [false, 'no chain RPC configured for chain 10'],
      ]);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      await rpc.close();
    }
  });

  test('error: a bad --chain-rpc value exits 2 with a usage message', async () => {
    const cli = run(['--chain-rpc', 'https://rpc.example'], false);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/--chain-rpc must look like 8453=https:\/\/rpc.example/);
    expect(cli.stderr()).toMatch(/usage: npm run node/);
  });

  test.each([
    [['https://rpc.example'], /--chain-rpc must look like 8453=https:\/\/rpc.example \(chain id = http\(s\) URL\), got https:\/\/rpc.example/],
    [['0=http://a.example'], /--chain-rpc must look like/],
    [['1=ftp://rpc.example'], /^--chain-rpc: chain 1: RPC URL must be http\(s\)/],
    [['1=http://a.example', 'eip155:1=http://b.example'], /--chain-rpc given twice for chain 1/],
  ])('error: chainRpcVerifierFromOptions(%j) throws', (values, message) => {
    expect(() => chainRpcVerifierFromOptions(values)).toThrow(message);
  });

  test('chainRpcVerifierFromOptions: none given, no verifier', () => {
    expect(chainRpcVerifierFromOptions([])).toBeUndefined();
    expect(chainRpcVerifierFromOptions(['8453=https://mainnet.base.org', 'eip155:1=http://127.0.0.1:8545'])).toBeDefined();
  });
});
