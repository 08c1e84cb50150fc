// Smart-contract wallet signatures against a real ERC-1271 wallet on an in-process EVM.
import { custom, hashMessage, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { beforeAll, describe, expect, test } from 'vitest';
import { XmtpError } from '../errors.js';
import { startLocalEvm, type LocalEvm } from '../test-support/local-evm.js';
import {
  compileTestWallet,
  counterfactualWalletAddress,
  deployTestWallet,
  deployTestWalletFactory,
  deployTestWalletViaFactory,
  setTestWalletOwner,
  signForTestWallet,
  wrapErc6492,
} from '../test-support/scw-wallet.js';
import type { SmartContractWalletVerifier } from './signature-types.js';
import { createChainRpcVerifier, hashForScw, parseScwAccountId, ScwErrorCodes } from './smart-contract-wallet.js';

const CHAIN_ID = 31337;
const owner = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
const hash = hashForScw('XMTP : Authenticate to inbox\n\nInbox ID: test');

let evm: LocalEvm;
let verifier: SmartContractWalletVerifier;
let wallet: Hex;
let walletBlock: bigint;
let factory: Hex;

const accountId = (address: Hex, chainId: number = CHAIN_ID) => `eip155:${chainId}:${address}`;

beforeAll(async () => {
  compileTestWallet();
  evm = await startLocalEvm({ chainId: CHAIN_ID });
  ({ address: wallet, blockNumber: walletBlock } = await deployTestWallet(evm, owner.address));
  factory = await deployTestWalletFactory(evm);
  verifier = createChainRpcVerifier({ chains: { [CHAIN_ID]: evm.transport } });
});

describe('ERC-1271 (deployed wallet)', () => {
  test('valid: signature by the wallet owner, checked at the latest block', async () => {
    const signature = await signForTestWallet(owner, hash);
    const result = await verifier.verify({ accountId: accountId(wallet), hash, signature });
    expect(result).toEqual({ isValid: true, blockNumber: evm.blockNumber() });
  });

  test('invalid: signature by another EOA', async () => {
    const signature = await signForTestWallet(stranger, hash);
    expect(await verifier.verify({ accountId: accountId(wallet), hash, signature })).toEqual({
      isValid: false,
      blockNumber: evm.blockNumber(),
    });
  });

  test('invalid: the hash was tampered with', async () => {
    const signature = await signForTestWallet(owner, hash);
    const tampered = hash.slice();
    tampered[0]! ^= 1;
    expect((await verifier.verify({ accountId: accountId(wallet), hash: tampered, signature })).isValid).toBe(false);
  });

  test('invalid: a malformed signature (wallet rejects it)', async () => {
    expect((await verifier.verify({ accountId: accountId(wallet), hash, signature: new Uint8Array(10) })).isValid).toBe(false);
  });

  test('the account address may be checksummed, uppercase or lack 0x (as libxmtp parses it)', async () => {
    const signature = await signForTestWallet(owner, hash);
    for (const address of [wallet.toUpperCase().replace('0X', '0x'), wallet.slice(2)]) {
      expect((await verifier.verify({ accountId: `eip155:${CHAIN_ID}:${address}`, hash, signature })).isValid).toBe(true);
    }
  });
});

describe('block number', () => {
  test('a given block number is used for the eth_call and returned', async () => {
    const signature = await signForTestWallet(owner, hash);
    const before = evm.requests.length;
    const result = await verifier.verify({ accountId: accountId(wallet), hash, signature, blockNumber: walletBlock });
    expect(result).toEqual({ isValid: true, blockNumber: walletBlock });
    const calls = evm.requests.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['eth_call']);
    expect(calls[0]!.params[1]).toBe(toHex(walletBlock));
  });

  test('without a block number, the latest block is fetched first and returned', async () => {
    const signature = await signForTestWallet(owner, hash);
    const before = evm.requests.length;
    const result = await verifier.verify({ accountId: accountId(wallet), hash, signature });
    expect(result.blockNumber).toBe(evm.blockNumber());
    const calls = evm.requests.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['eth_blockNumber', 'eth_call']);
    expect(calls[1]!.params[1]).toBe(toHex(evm.blockNumber()));
  });

  test('invalid: before the wallet was deployed (no code there yet)', async () => {
    const signature = await signForTestWallet(owner, hash);
    const result = await verifier.verify({ accountId: accountId(wallet), hash, signature, blockNumber: walletBlock - 1n });
    expect(result).toEqual({ isValid: false, blockNumber: walletBlock - 1n });
  });

  test('a block after the chain head is an error', async () => {
    const signature = await signForTestWallet(owner, hash);
    const result = await verifier.verify({ accountId: accountId(wallet), hash, signature, blockNumber: evm.blockNumber() + 100n });
    expect(result.isValid).toBe(false);
    expect(result.error).toMatch(/^chain 31337: signature validation call at block \d+ failed: .*\(header not found\)$/);
  });

  test('a former owner is valid at a block before the hand-over, invalid after it', async () => {
    const oldOwner = privateKeyToAccount(generatePrivateKey());
    const newOwner = privateKeyToAccount(generatePrivateKey());
    const { address, blockNumber: created } = await deployTestWallet(evm, oldOwner.address);
    await evm.mine(3);
    const handedOver = await setTestWalletOwner(evm, address, oldOwner.address, newOwner.address);
    const oldSig = await signForTestWallet(oldOwner, hash);
    const newSig = await signForTestWallet(newOwner, hash);
    const at = (signature: Uint8Array, blockNumber?: bigint) =>
      verifier.verify({ accountId: accountId(address), hash, signature, ...(blockNumber === undefined ? {} : { blockNumber }) });

    expect((await at(oldSig, created)).isValid).toBe(true);
    expect((await at(oldSig, handedOver - 1n)).isValid).toBe(true);
    expect((await at(oldSig, handedOver)).isValid).toBe(false);
    expect((await at(oldSig)).isValid).toBe(false);
    expect((await at(newSig, handedOver - 1n)).isValid).toBe(false);
    expect((await at(newSig)).isValid).toBe(true);
  });
});

describe('ERC-6492 (counterfactual wallet)', () => {
  test('valid: wallet not deployed yet, signature wrapped with the factory call; nothing gets deployed', async () => {
    const salt = toHex(1n, { size: 32 });
    const address = counterfactualWalletAddress(factory, owner.address, salt);
    expect(await evm.request({ method: 'eth_getCode', params: [address, 'latest'] })).toBe('0x');

    const signature = wrapErc6492(factory, owner.address, salt, await signForTestWallet(owner, hash));
    expect(await verifier.verify({ accountId: accountId(address), hash, signature })).toEqual({
      isValid: true,
      blockNumber: evm.blockNumber(),
    });
    expect(await evm.request({ method: 'eth_getCode', params: [address, 'latest'] })).toBe('0x');
  });

  test('invalid: counterfactual wallet, signature by another EOA', async () => {
    const salt = toHex(2n, { size: 32 });
    const address = counterfactualWalletAddress(factory, owner.address, salt);
    const signature = wrapErc6492(factory, owner.address, salt, await signForTestWallet(stranger, hash));
    expect((await verifier.verify({ accountId: accountId(address), hash, signature })).isValid).toBe(false);
  });

  test('invalid: the wrapper deploys a wallet for another owner than the account', async () => {
    const salt = toHex(3n, { size: 32 });
    const address = counterfactualWalletAddress(factory, owner.address, salt);
    // The factory call deploys stranger's wallet, at another address: the account still has no code.
    const signature = wrapErc6492(factory, stranger.address, salt, await signForTestWallet(stranger, hash));
    expect((await verifier.verify({ accountId: accountId(address), hash, signature })).isValid).toBe(false);
  });

  test('invalid with the revert reason: the factory call of the wrapper fails', async () => {
    const salt = toHex(5n, { size: 32 });
    const address = counterfactualWalletAddress(factory, owner.address, salt);
    // Points the wrapper at the deployed TestWallet, which has no deploy function.
    const signature = wrapErc6492(wallet, owner.address, salt, await signForTestWallet(owner, hash));
    const result = await verifier.verify({ accountId: accountId(address), hash, signature });
    expect(result.isValid).toBe(false);
    expect(result.error).toMatch(/SignatureValidator: deployment/);
  });

  test('valid: a 6492-wrapped signature still verifies once the wallet is deployed', async () => {
    const salt = toHex(4n, { size: 32 });
    const address = counterfactualWalletAddress(factory, owner.address, salt);
    const signature = wrapErc6492(factory, owner.address, salt, await signForTestWallet(owner, hash));
    await deployTestWalletViaFactory(evm, factory, owner.address, salt);
    expect(await evm.request({ method: 'eth_getCode', params: [address, 'latest'] })).not.toBe('0x');
    expect((await verifier.verify({ accountId: accountId(address), hash, signature })).isValid).toBe(true);
  });
});

describe('EOA accounts (the validator falls back to ecrecover, as in libxmtp)', () => {
  test('valid: an EOA signing the hash itself', async () => {
    const signature = await signForTestWallet(owner, hash);
    expect((await verifier.verify({ accountId: accountId(owner.address), hash, signature })).isValid).toBe(true);
  });

  test('invalid: signed by another EOA', async () => {
    const signature = await signForTestWallet(stranger, hash);
    expect((await verifier.verify({ accountId: accountId(owner.address), hash, signature })).isValid).toBe(false);
  });

  test('invalid with an error: a signature of the wrong length makes the validator revert', async () => {
    const result = await verifier.verify({ accountId: accountId(owner.address), hash, signature: new Uint8Array(10) });
    expect(result.isValid).toBe(false);
    expect(result.error).toMatch(/^chain 31337: signature validation call at block \d+ failed: .*execution reverted/);
  });

  test('error: the zero address is refused (ecrecover yields it for malformed signatures)', async () => {
    const result = await verifier.verify({ accountId: accountId('0x0000000000000000000000000000000000000000'), hash, signature: new Uint8Array(65) });
    expect(result).toEqual({ isValid: false, error: 'the zero address has no signatures' });
  });
});

describe('chains', () => {
  test('error: a chain id with no RPC configured', async () => {
    const signature = await signForTestWallet(owner, hash);
    expect(await verifier.verify({ accountId: accountId(wallet, 1), hash, signature })).toEqual({
      isValid: false,
      error: 'no chain RPC configured for chain 1',
    });
  });

  test('error: the RPC configured for a chain serves another chain', async () => {
    const misconfigured = createChainRpcVerifier({ chains: { '8453': evm.transport } });
    const signature = await signForTestWallet(owner, hash);
    expect(await misconfigured.verify({ accountId: accountId(wallet, 8453), hash, signature })).toEqual({
      isValid: false,
      error: 'chain 8453: the RPC configured for it serves chain 31337',
    });
  });

  test('error: an unreachable RPC is reported, not taken for an invalid signature', async () => {
    let up = false;
    const flaky = custom(
      {
        async request(args: { method: string; params?: readonly unknown[] }) {
          if (!up) throw new Error('connect ECONNREFUSED 127.0.0.1:8545');
          return evm.request(args);
        },
      },
      { retryCount: 0 },
    );
    const v = createChainRpcVerifier({ chains: { [`eip155:${CHAIN_ID}`]: flaky } });
    const signature = await signForTestWallet(owner, hash);
    const down = await v.verify({ accountId: accountId(wallet), hash, signature });
    expect(down.isValid).toBe(false);
    expect(down.error).toMatch(/^chain 31337: could not get the chain id from its RPC: .*ECONNREFUSED/);
    up = true; // a failed chain id check is retried
    expect((await v.verify({ accountId: accountId(wallet), hash, signature })).isValid).toBe(true);
  });

  test('error: a bad configuration throws at construction', () => {
    expect(() => createChainRpcVerifier({ chains: { mainnet: evm.transport } })).toThrow(/chain RPC key must be a chain id/);
    expect(() => createChainRpcVerifier({ chains: { 1: 'not a url' } })).toThrow(/chain 1: RPC URL is not a URL/);
    expect(() => createChainRpcVerifier({ chains: { 1: 'ftp://rpc.example' } })).toThrow(/must be http\(s\)/);
  });
});

describe('input checks', () => {
  test.each([
    ['', /expected 3 parts .*got 1/],
    [`eip155:${CHAIN_ID}`, /expected 3 parts .*got 2/],
    [`eip155:${CHAIN_ID}:0x${'11'.repeat(20)}:extra`, /expected 3 parts .*got 4/],
    [`eip155::0x${'11'.repeat(20)}`, /not a well-formed CAIP-10/],
    [`eip155:1:0x${'11'.repeat(20)} `, /not a well-formed CAIP-10/],
    [`EIP155:1:0x${'11'.repeat(20)}`, /not a well-formed CAIP-10/],
    [`solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp:0x${'11'.repeat(20)}`, /unsupported chain namespace solana/],
    [`eip155:0x7a69:0x${'11'.repeat(20)}`, /chain id must be a decimal number/],
    [`eip155:031337:0x${'11'.repeat(20)}`, /chain id must be a decimal number without leading zeros/],
    [`eip155:${CHAIN_ID}:0x1234`, /address must be 20 bytes of hex/],
    [`eip155:${CHAIN_ID}:0x${'zz'.repeat(20)}`, /address must be 20 bytes of hex/],
  ])('error: malformed account id %j', async (id, message) => {
    const result = await verifier.verify({ accountId: id, hash, signature: new Uint8Array(65) });
    expect(result.isValid).toBe(false);
    expect(result.error).toMatch(/^malformed account id /);
    expect(result.error).toMatch(message);
    expect(() => parseScwAccountId(id)).toThrow(XmtpError);
  });

  test('parseScwAccountId normalises the address to lowercase 0x', () => {
    const address = `0x${'aB'.repeat(20)}`;
    expect(parseScwAccountId(`eip155:8453:${address}`)).toEqual({ caip2: 'eip155:8453', chainId: 8453n, address: address.toLowerCase() });
    expect(parseScwAccountId(`eip155:8453:${'AB'.repeat(20)}`).address).toBe(address.toLowerCase());
    try {
      parseScwAccountId('eip155:1');
    } catch (e) {
      expect((e as XmtpError).code).toBe(ScwErrorCodes.invalidAccountId);
    }
  });

  test('error: the hash must be 32 bytes', async () => {
    const result = await verifier.verify({ accountId: accountId(wallet), hash: new Uint8Array(31), signature: new Uint8Array(65) });
    expect(result).toEqual({ isValid: false, error: 'hash must be the 32-byte EIP-191 digest, got 31 bytes' });
  });

  test('hashForScw is the EIP-191 personal_sign digest', () => {
    expect(toHex(hashForScw('hello'))).toBe(hashMessage('hello'));
    expect(hashForScw('hello')).toHaveLength(32);
  });
});
