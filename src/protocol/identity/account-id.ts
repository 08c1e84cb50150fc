/**
 * CAIP-10 account ids of smart-contract wallet signatures (`eip155:<chainId>:<address>`), parsed as
 * libxmtp 1.10 does (`AccountId::try_from`, `get_chain_id_u64`). Pure; runs everywhere.
 *
 * Guarantees: exactly three parts split on ':', libxmtp's character rules for each, namespace
 * `eip155`, a decimal u64 chain id, and an address of 0x + 40 hex digits returned lowercase. Anything
 * else throws `identity.invalid_account_id` saying what is wrong.
 */
import { isEthereumAddress } from './identifiers.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';

const CHAIN_ID = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/;
const ACCOUNT_ADDRESS = /^[-.%a-zA-Z0-9]{1,128}$/;
const U64_MAX = (1n << 64n) - 1n;

export interface ParseAccountIdReturnType {
  /** The CAIP-2 chain, e.g. `eip155:1`. */
  readonly chain: string;
  readonly chainId: bigint;
  /** Lowercase 0x address. */
  readonly address: string;
}

function invalid(accountId: string, why: string): never {
  throw identityError(IdentityErrorCodes.invalidAccountId, `Invalid account id ${JSON.stringify(accountId)}: ${why}`);
}

export function parseAccountId(accountId: string): ParseAccountIdReturnType {
  const parts = accountId.split(':');
  if (parts.length !== 3) invalid(accountId, `expected 3 parts separated by ':', got ${parts.length}`);
  const [namespace, reference, address] = parts as [string, string, string];
  const chain = `${namespace}:${reference}`;
  if (!CHAIN_ID.test(chain) || !ACCOUNT_ADDRESS.test(address)) invalid(accountId, 'malformed chain id or address');
  if (namespace !== 'eip155') invalid(accountId, 'only eip155 chains are supported');
  // libxmtp 1.10 parses the reference with u64::from_str: decimal digits (leading zeros allowed).
  if (!/^[0-9]{1,20}$/.test(reference)) invalid(accountId, 'the chain id is not a decimal number');
  const chainId = BigInt(reference);
  if (chainId > U64_MAX) invalid(accountId, 'the chain id does not fit in a u64');
  if (!isEthereumAddress(address)) invalid(accountId, 'the address is not 0x followed by 40 hex digits');
  return { chain, chainId, address: address.toLowerCase() };
}
