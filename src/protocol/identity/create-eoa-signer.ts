/**
 * An IdentitySigner over an Ethereum EOA: EIP-191 `personal_sign` through a viem account (a local
 * account, or any object with viem's `signMessage({ message })`, such as a wallet client bound to an
 * account). Pure; runs everywhere.
 *
 * Guarantees: returns an `erc_191` Signature with the account's 65-byte r||s||v; the identifier is
 * the account's address, lowercased. The text is signed as a UTF-8 string, exactly as libxmtp asks.
 */
import { create } from '@bufbuild/protobuf';
import { hexToBytes } from '@noble/hashes/utils.js';
import { SignatureSchema } from '../../gen/identity/associations/signature_pb.js';
import { normalizeEthereumAddress } from './identifiers.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';
import type { IdentitySigner } from './identity-signer.js';

/** The part of a viem `Account` (e.g. `privateKeyToAccount(...)`) this signer needs. */
export interface EoaAccount {
  readonly address: string;
  signMessage(parameters: { message: string }): Promise<`0x${string}`>;
}

export interface CreateEoaSignerParameters {
  readonly account: EoaAccount;
}

export type CreateEoaSignerReturnType = IdentitySigner & {
  readonly identifier: { readonly kind: 'ethereum'; readonly address: string };
};

export function createEoaSigner({ account }: CreateEoaSignerParameters): CreateEoaSignerReturnType {
  const address = normalizeEthereumAddress(account.address);
  return {
    identifier: { kind: 'ethereum', address },
    async sign(text) {
      const hex = await account.signMessage({ message: text });
      const bytes = /^0x[0-9a-fA-F]{130}$/.test(hex) ? hexToBytes(hex.slice(2)) : undefined;
      if (!bytes) throw identityError(IdentityErrorCodes.invalidSignature, `The wallet returned a malformed signature (${hex.length} characters, expected 0x + 130 hex)`);
      return create(SignatureSchema, { signature: { case: 'erc191', value: { bytes } } });
    },
  };
}
