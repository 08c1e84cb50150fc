/**
 * The node's `--chain-rpc CHAIN_ID=URL` option (repeatable): the chain RPCs that
 * VerifySmartContractWalletSignatures checks ERC-1271 / ERC-6492 signatures against. Node only.
 */
import type { SmartContractWalletVerifier } from '../src/protocol/identity/signature-types.js';
import { createChainRpcVerifier } from '../src/protocol/identity/smart-contract-wallet.js';

/** A verifier over viem http transports, or undefined when no chain is given. Throws on bad values. */
export function chainRpcVerifierFromOptions(values: readonly string[]): SmartContractWalletVerifier | undefined {
  if (values.length === 0) return undefined;
  const chains: Record<string, string> = {};
  for (const value of values) {
    const m = /^(?:eip155:)?([1-9][0-9]*)=(.+)$/.exec(value);
    if (!m) throw new Error(`--chain-rpc must look like 8453=https://rpc.example (chain id = http(s) URL), got ${value}`);
    const [, chainId, url] = m as unknown as [string, string, string];
    if (chainId in chains) throw new Error(`--chain-rpc given twice for chain ${chainId}`);
    chains[chainId] = url;
  }
  try {
    return createChainRpcVerifier({ chains });
  } catch (e) {
    throw new Error(`--chain-rpc: ${(e as Error).message}`, { cause: e });
  }
}
