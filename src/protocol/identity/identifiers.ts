/**
 * Identifier strings as XMTP renders them: Ethereum addresses, passkey identifiers, installation
 * ids. Pure; runs everywhere.
 *
 * Guarantees: every function checks its input and throws an XmtpError with code
 * `identity.invalid_identifier` naming what is wrong; outputs are exactly the strings libxmtp
 * renders (lowercase hex, `0x` kept on addresses).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';

const ETHEREUM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** True for `0x` followed by exactly 40 hex digits, in any case. */
export function isEthereumAddress(value: string): boolean {
  return ETHEREUM_ADDRESS.test(value);
}

/**
 * An Ethereum address as XMTP stores and compares it: lowercase, with its `0x` prefix
 * (libxmtp `sanitize_evm_addresses`). Refuses anything but `0x` + 40 hex digits.
 */
export function normalizeEthereumAddress(address: string): string {
  if (typeof address !== 'string' || !ETHEREUM_ADDRESS.test(address)) {
    throw identityError(
      IdentityErrorCodes.invalidIdentifier,
      `Invalid Ethereum address ${JSON.stringify(address)}: expected 0x followed by 40 hex digits`,
    );
  }
  return address.toLowerCase();
}

/** A passkey's identifier string: the lowercase hex of its (SEC1 P-256) public key. */
export function toPasskeyIdentifier(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length === 0) {
    throw identityError(IdentityErrorCodes.invalidIdentifier, 'Invalid passkey: the public key is empty');
  }
  return bytesToHex(publicKey);
}

/** An installation id as text: the lowercase hex of the installation's 32-byte Ed25519 public key. */
export function toInstallationId(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw identityError(
      IdentityErrorCodes.invalidIdentifier,
      `Invalid installation key: expected 32 bytes, got ${publicKey instanceof Uint8Array ? publicKey.length : typeof publicKey}`,
    );
  }
  return bytesToHex(publicKey);
}

/** Decodes hex (either case, even length, no prefix) as libxmtp's `hex::decode` does; undefined if it is not hex. */
export function decodeHex(value: string): Uint8Array | undefined {
  if (!HEX.test(value)) return undefined;
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(value.slice(2 * i, 2 * i + 2), 16);
  return out;
}
