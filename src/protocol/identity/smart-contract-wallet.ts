/**
 * Smart-contract wallet signatures (ERC-1271, and ERC-6492 for wallets not deployed yet), checked
 * against a chain RPC per chain id. Pure TypeScript: the transport is injected, so this runs in the
 * service worker, in a page and in the node alike.
 *
 * Same method as libxmtp's `RpcSmartContractWalletVerifier` (xmtp_id scw_verifier): one off-chain
 * `eth_call` of the ERC-6492 universal validator's creation code (viem's build of the AmbireTech
 * `ValidateSigOffchain` contract; libxmtp ships a different build of it) with
 * `(address, hash, signature)` as constructor arguments, no
 * `to`, at the given block, or at the latest block, fetched first, when none is given. The
 * signature is valid iff the call returns exactly `0x01`. The validator checks ERC-1271
 * `isValidSignature` when the account has code; for a 6492-wrapped signature of an undeployed
 * account it first runs the factory call inside the same `eth_call`; for an account without code
 * it falls back to `ecrecover`.
 *
 * viem's `verifyHash` is not used on purpose: it turns every failed `eth_call`, including an
 * unreachable RPC, into `false` without saying why; it also accepts ERC-8010 signatures and falls
 * back to local ECDSA recovery, neither of which libxmtp does. It also does not report the block
 * number it checked at.
 *
 * Differences from libxmtp, all stricter: the zero address is refused up front (as viem's
 * `verifyHash` does: `ecrecover` yields it for malformed signatures), and each chain RPC must report
 * the chain id it is configured for (checked once per chain).
 */
import {
  BaseError,
  createPublicClient,
  encodeDeployData,
  erc6492SignatureValidatorAbi,
  erc6492SignatureValidatorByteCode,
  hashMessage,
  hexToBytes,
  http,
  toHex,
  type Hex,
  type PublicClient,
  type Transport,
} from 'viem';
import { call, getBlockNumber, getChainId } from 'viem/actions';
import { XmtpError } from '../errors.js';
import type { SmartContractWalletVerifier } from './signature-types.js';

export const ScwErrorCodes = {
  invalidAccountId: 'identity.scw_invalid_account_id',
  invalidChainConfig: 'identity.scw_invalid_chain_config',
} as const;

/** A CAIP-10 account id on an EVM chain, as the verifier uses it. */
export interface ScwAccountId {
  /** `eip155:<chainId>`, the key libxmtp looks chains up by. */
  readonly caip2: string;
  readonly chainId: bigint;
  /** Lowercase `0x` address. */
  readonly address: Hex;
}

// libxmtp's AccountId parsing (xmtp_id associations/serialization.rs): exactly three parts on ':',
// a CAIP-2 chain id and a CAIP-10 account address.
const CHAIN_ID_RE = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/;
const ACCOUNT_ADDRESS_RE = /^[-.%a-zA-Z0-9]{1,128}$/;
const EIP155_REFERENCE_RE = /^[1-9][0-9]*$/;
// libxmtp parses the address with alloy, which takes 40 hex digits with or without 0x.
const EVM_ADDRESS_RE = /^(?:0x)?([0-9a-fA-F]{40})$/;

/**
 * Parses a CAIP-10 `eip155:<chainId>:<address>` account id. Throws an XmtpError
 * (`identity.scw_invalid_account_id`) saying what is wrong.
 */
export function parseScwAccountId(accountId: string): ScwAccountId {
  const parts = accountId.split(':');
  if (parts.length !== 3) {
    throw invalidAccountId(accountId, `expected 3 parts separated by ':' (eip155:<chainId>:<address>), got ${parts.length}`);
  }
  const [namespace, reference, address] = parts as [string, string, string];
  if (!CHAIN_ID_RE.test(`${namespace}:${reference}`) || !ACCOUNT_ADDRESS_RE.test(address)) {
    throw invalidAccountId(accountId, 'not a well-formed CAIP-10 chain id and address');
  }
  if (namespace !== 'eip155') {
    throw invalidAccountId(accountId, `unsupported chain namespace ${namespace} (only eip155)`);
  }
  if (!EIP155_REFERENCE_RE.test(reference)) {
    throw invalidAccountId(accountId, `chain id must be a decimal number without leading zeros, got ${reference}`);
  }
  const hex = EVM_ADDRESS_RE.exec(address)?.[1];
  if (hex === undefined) {
    throw invalidAccountId(accountId, `address must be 20 bytes of hex, got ${address}`);
  }
  return { caip2: `eip155:${reference}`, chainId: BigInt(reference), address: `0x${hex.toLowerCase()}` };
}

/** The 32-byte EIP-191 (`personal_sign`) digest of `text`: the `hash` a smart-contract wallet signs. */
export function hashForScw(text: string): Uint8Array {
  return hexToBytes(hashMessage(text));
}

export interface ChainRpcVerifierOptions {
  /**
   * One RPC per chain, keyed by chain id (`8453`, `'8453'` or `'eip155:8453'`): a viem Transport
   * (`http(url)`, `custom({ request })`, …) or an http(s) URL.
   */
  readonly chains: Readonly<Record<string | number, Transport | string>>;
}

interface Chain {
  readonly chainId: bigint;
  readonly client: PublicClient;
  chainIdCheck?: Promise<void>;
}

const MAGIC_VALID: Hex = '0x01';
const MAGIC_INVALID: Hex = '0x00';

/** A verifier that checks each account on the RPC configured for its chain id. */
export function createChainRpcVerifier(options: ChainRpcVerifierOptions): SmartContractWalletVerifier {
  const chains = new Map<string, Chain>();
  for (const [key, rpc] of Object.entries(options.chains)) {
    const chainId = parseChainKey(key);
    const transport = typeof rpc === 'string' ? http(checkRpcUrl(key, rpc)) : rpc;
    chains.set(chainId.toString(), {
      chainId,
      // No chain: viem then always uses the deployless validator, as libxmtp does. cacheTime 0:
      // viem otherwise serves eth_blockNumber from a cache for 4 s.
      client: createPublicClient({ transport, cacheTime: 0, ccipRead: false }),
    });
  }

  return {
    async verify({ accountId, hash, signature, blockNumber }) {
      let account: ScwAccountId;
      try {
        account = parseScwAccountId(accountId);
      } catch (e) {
        return { isValid: false, error: (e as Error).message };
      }
      if (hash.length !== 32) {
        return { isValid: false, error: `hash must be the 32-byte EIP-191 digest, got ${hash.length} bytes` };
      }
      if (blockNumber !== undefined && blockNumber < 0n) {
        return { isValid: false, error: `block number must not be negative, got ${blockNumber}` };
      }
      const chain = chains.get(account.chainId.toString());
      if (!chain) return { isValid: false, error: `no chain RPC configured for chain ${account.chainId}` };
      if (BigInt(account.address) === 0n) {
        return { isValid: false, error: 'the zero address has no signatures' };
      }

      try {
        await checkChainId(chain);
      } catch (e) {
        return { isValid: false, error: (e as Error).message };
      }

      let block: bigint;
      try {
        block = blockNumber ?? (await getBlockNumber(chain.client, { cacheTime: 0 }));
      } catch (e) {
        return { isValid: false, error: `chain ${chain.chainId}: could not get the latest block number: ${describe(e)}` };
      }

      let data: Hex | undefined;
      try {
        ({ data } = await call(chain.client, {
          data: encodeDeployData({
            abi: erc6492SignatureValidatorAbi,
            bytecode: erc6492SignatureValidatorByteCode,
            args: [account.address, toHex(hash), toHex(signature)],
          }),
          blockNumber: block,
        }));
      } catch (e) {
        return {
          isValid: false,
          blockNumber: block,
          error: `chain ${chain.chainId}: signature validation call at block ${block} failed: ${describe(e)}`,
        };
      }
      const result = data?.toLowerCase();
      if (result === MAGIC_VALID) return { isValid: true, blockNumber: block };
      if (result === MAGIC_INVALID) return { isValid: false, blockNumber: block };
      return {
        isValid: false,
        blockNumber: block,
        error: `chain ${chain.chainId}: unexpected result from the ERC-6492 validator: ${data ?? '0x'}`,
      };
    },
  };
}

/** Checks once per chain (again after a failure) that the RPC serves the chain it is configured for. */
function checkChainId(chain: Chain): Promise<void> {
  chain.chainIdCheck ??= (async () => {
    let reported: number;
    try {
      reported = await getChainId(chain.client);
    } catch (e) {
      throw new Error(`chain ${chain.chainId}: could not get the chain id from its RPC: ${describe(e)}`, { cause: e });
    }
    if (BigInt(reported) !== chain.chainId) {
      throw new Error(`chain ${chain.chainId}: the RPC configured for it serves chain ${reported}`);
    }
  })().catch((e: unknown) => {
    chain.chainIdCheck = undefined;
    throw e;
  });
  return chain.chainIdCheck;
}

function parseChainKey(key: string): bigint {
  const reference = key.startsWith('eip155:') ? key.slice('eip155:'.length) : key;
  if (!EIP155_REFERENCE_RE.test(reference)) {
    throw new XmtpError(ScwErrorCodes.invalidChainConfig, `chain RPC key must be a chain id like 8453 or eip155:8453, got ${key}`);
  }
  return BigInt(reference);
}

function checkRpcUrl(key: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new XmtpError(ScwErrorCodes.invalidChainConfig, `chain ${key}: RPC URL is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new XmtpError(ScwErrorCodes.invalidChainConfig, `chain ${key}: RPC URL must be http(s), got ${url}`);
  }
  return url;
}

function invalidAccountId(accountId: string, why: string): XmtpError {
  return new XmtpError(ScwErrorCodes.invalidAccountId, `malformed account id ${JSON.stringify(accountId)}: ${why}`);
}

function describe(e: unknown): string {
  if (e instanceof BaseError) {
    // viem's short messages can run over several lines; the details are the RPC's own message.
    const short = e.shortMessage.split('\n')[0] ?? '';
    return e.details && !short.includes(e.details) ? `${short} (${e.details})` : short;
  }
  return e instanceof Error ? e.message : String(e);
}
