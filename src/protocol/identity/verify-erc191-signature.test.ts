import { describe, expect, test } from 'vitest';
import { hexToBytes } from '@noble/hashes/utils.js';
import { privateKeyToAccount } from 'viem/accounts';
import { errorOf } from '../test-support/identity-builder.js';
import { IdentityErrorCodes } from './identity-errors.js';
import { normalizeEcdsaSignature, SECP256K1_N } from './normalize-ecdsa-signature.js';
import { verifyErc191Signature } from './verify-erc191-signature.js';

const account = privateKeyToAccount('0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');
const text = 'XMTP : Authenticate to inbox\n\nInbox ID: x\nCurrent time: 1970-01-01T00:00:00Z\n\n- Create inbox\n  (Owner: y)\n\nFor more info: https://xmtp.org/signatures';

async function sign(message = text): Promise<Uint8Array> {
  return hexToBytes((await account.signMessage({ message })).slice(2));
}

function toBig(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function withS(signature: Uint8Array, s: bigint, v = signature[64]!): Uint8Array {
  const out = signature.slice();
  out.set(hexToBytes(s.toString(16).padStart(64, '0')), 32);
  out[64] = v;
  return out;
}

describe('verifyErc191Signature', () => {
  test('default: recovers the lowercase address of a viem personal_sign signature', async () => {
    const signature = await sign();
    const verified = verifyErc191Signature({ signature, text });
    expect(verified).toEqual({ kind: 'erc191', signer: { kind: 'ethereum', address: account.address.toLowerCase() }, replayKey: signature });
  });

  test('behavior: a high-s twin (n - s, same v) is normalised back: same signer, same replay key', async () => {
    const signature = await sign();
    const s = toBig(signature.subarray(32, 64));
    expect(s <= SECP256K1_N >> 1n).toBe(true); // viem signs low-s
    const twin = withS(signature, SECP256K1_N - s);
    const verified = verifyErc191Signature({ signature: twin, text });
    expect(verified.signer).toEqual({ kind: 'ethereum', address: account.address.toLowerCase() });
    expect(verified.replayKey).toEqual(signature);
  });

  test('behavior: as in libxmtp, v is not flipped by normalisation, so the classic malleated form (n - s, flipped v) recovers someone else', async () => {
    const signature = await sign();
    const s = toBig(signature.subarray(32, 64));
    const malleated = withS(signature, SECP256K1_N - s, signature[64] === 27 ? 28 : 27);
    expect(verifyErc191Signature({ signature: malleated, text }).signer).not.toEqual({ kind: 'ethereum', address: account.address.toLowerCase() });
  });

  test('behavior: v as 0/1, 27/28 or EIP-155 all give the same signer', async () => {
    const signature = await sign();
    const parity = signature[64]! - 27;
    for (const v of [parity, 27 + parity, 35 + parity, 37 + 2 * 1 + parity]) {
      expect(verifyErc191Signature({ signature: withS(signature, toBig(signature.subarray(32, 64)), v), text }).signer).toEqual({
        kind: 'ethereum',
        address: account.address.toLowerCase(),
      });
    }
  });

  test('behavior: a signature over another text recovers another address (the reducer then refuses it)', async () => {
    const signature = await sign('something else');
    expect(verifyErc191Signature({ signature, text }).signer).not.toEqual({ kind: 'ethereum', address: account.address.toLowerCase() });
  });

  test('error: 64 bytes (no recovery byte) cannot recover a signer', async () => {
    const error = await errorOf(async () => verifyErc191Signature({ signature: (await sign()).subarray(0, 64), text }));
    expect(error.code).toBe(IdentityErrorCodes.invalidSignature);
    expect(error.message).toContain('65 bytes');
  });

  test.each([
    ['a wrong length', new Uint8Array(66)],
    ['r = 0', new Uint8Array(65).fill(1, 32)],
    ['s >= n', withS(new Uint8Array(65).fill(1), SECP256K1_N)],
  ])('error: %s is refused with identity.invalid_signature', async (_, signature) => {
    expect((await errorOf(() => verifyErc191Signature({ signature, text }))).code).toBe(IdentityErrorCodes.invalidSignature);
  });

  test('error: an invalid recovery byte', async () => {
    const signature = await sign();
    signature[64] = 2;
    const error = await errorOf(() => verifyErc191Signature({ signature, text }));
    expect(error.code).toBe(IdentityErrorCodes.invalidSignature);
    expect(error.message).toContain('v=2');
  });
});

describe('normalizeEcdsaSignature', () => {
  test('default: a low-s signature is returned unchanged (as a copy)', async () => {
    const signature = await sign();
    const normalized = normalizeEcdsaSignature(signature);
    expect(normalized).toEqual(signature);
    expect(normalized).not.toBe(signature);
  });

  test('behavior: accepts 64-byte r||s and lowers a high s', async () => {
    const signature = (await sign()).subarray(0, 64);
    const s = toBig(signature.subarray(32, 64));
    const high = signature.slice();
    high.set(hexToBytes((SECP256K1_N - s).toString(16).padStart(64, '0')), 32);
    expect(normalizeEcdsaSignature(high)).toEqual(signature);
  });

  test('error: lengths other than 64 or 65', async () => {
    for (const length of [0, 63, 66]) {
      expect((await errorOf(() => normalizeEcdsaSignature(new Uint8Array(length)))).code).toBe(IdentityErrorCodes.invalidSignature);
    }
  });
});
