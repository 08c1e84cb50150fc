/**
 * The shapes that identity signature verification produces and consumes, shared by every verifier
 * and by the association-state reducer. Pure types; runs everywhere.
 */

/** A member of an inbox, as the association state keys it. */
export type MemberId =
  | { readonly kind: 'ethereum'; /** lowercase 0x address */ readonly address: string }
  | { readonly kind: 'installation'; /** the 32-byte Ed25519 public key */ readonly key: Uint8Array }
  | { readonly kind: 'passkey'; /** SEC1 P-256 public key */ readonly key: Uint8Array; readonly relyingParty?: string };

export type SignatureKind = 'erc191' | 'erc1271' | 'installation-key' | 'passkey' | 'legacy-delegated';

/** A signature that verified over an identity update's signature text. */
export interface VerifiedSignature {
  readonly kind: SignatureKind;
  /** Who signed (recovered or proven). */
  readonly signer: MemberId;
  /** Smart-contract wallets: the chain the signature was checked on. */
  readonly chainId?: bigint;
  /** The bytes recorded in `seen_signatures` for replay detection (low-s normalised for ERC-191). */
  readonly replayKey: Uint8Array;
}

/** Checks ERC-1271 / ERC-6492 signatures of smart-contract wallets against a chain. */
export interface SmartContractWalletVerifier {
  /**
   * `accountId` is CAIP-10 (`eip155:<chainId>:<address>`), `hash` the 32-byte EIP-191 digest of the
   * signature text, `blockNumber` the block to check at (latest when absent).
   */
  verify(params: {
    readonly accountId: string;
    readonly hash: Uint8Array;
    readonly signature: Uint8Array;
    readonly blockNumber?: bigint;
  }): Promise<{ readonly isValid: boolean; readonly blockNumber?: bigint; readonly error?: string }>;
}
