import { x25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type * as Module from './x25519.js';
import { nativeX25519, x25519Ephemeral, x25519GenerateKeyPair, x25519PublicKey, x25519SharedSecret } from './x25519.js';

// RFC 7748 §6.1.
const ALICE = { secret: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', public: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a' };
const BOB = { secret: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', public: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f' };
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

async function withoutWebCrypto(): Promise<typeof Module> {
  vi.resetModules();
  const real = globalThis.crypto;
  vi.stubGlobal('crypto', { getRandomValues: <T extends ArrayBufferView>(a: T) => real.getRandomValues(a), subtle: undefined });
  const module = await import('./x25519.js');
  await module.nativeX25519(); // decided once, while WebCrypto is missing
  vi.unstubAllGlobals();
  return module;
}

afterEach(() => vi.unstubAllGlobals());

describe.each([
  ['WebCrypto', async () => ({ nativeX25519, x25519Ephemeral, x25519GenerateKeyPair, x25519PublicKey, x25519SharedSecret })],
  ['noble (no WebCrypto X25519)', withoutWebCrypto],
])('x25519 on %s', (name, load) => {
  test('default: RFC 7748 §6.1 public keys and shared secret, both ways', async () => {
    const m = await load();
    expect((await m.nativeX25519()) === undefined).toBe(name !== 'WebCrypto');
    expect(bytesToHex(await m.x25519PublicKey(hexToBytes(ALICE.secret)))).toBe(ALICE.public);
    expect(bytesToHex(await m.x25519PublicKey(hexToBytes(BOB.secret)))).toBe(BOB.public);
    expect(bytesToHex(await m.x25519SharedSecret(hexToBytes(ALICE.secret), hexToBytes(BOB.public)))).toBe(SHARED);
    expect(bytesToHex(await m.x25519SharedSecret(hexToBytes(BOB.secret), hexToBytes(ALICE.public)))).toBe(SHARED);
  });

  test('behavior: the same function as noble (random keys; the public key’s top bit ignored)', async () => {
    const m = await load();
    for (let i = 0; i < 10; i++) {
      const a = x25519.utils.randomSecretKey();
      const b = x25519.utils.randomSecretKey();
      const pb = x25519.getPublicKey(b);
      expect(await m.x25519PublicKey(a)).toEqual(x25519.getPublicKey(a));
      expect(await m.x25519SharedSecret(a, pb)).toEqual(x25519.getSharedSecret(a, pb));
      const high = pb.slice();
      high[31]! |= 0x80;
      expect(await m.x25519SharedSecret(a, high)).toEqual(x25519.getSharedSecret(a, pb));
    }
  });

  test('behavior: generated pairs and ephemeral agreements match noble', async () => {
    const m = await load();
    const pair = await m.x25519GenerateKeyPair();
    expect(pair.secretKey.length).toBe(32);
    expect(pair.publicKey).toEqual(x25519.getPublicKey(pair.secretKey));
    const recipient = x25519.utils.randomSecretKey();
    const { publicKey, sharedSecret } = await m.x25519Ephemeral(x25519.getPublicKey(recipient));
    expect(sharedSecret).toEqual(x25519.getSharedSecret(recipient, publicKey));
    expect((await m.x25519Ephemeral(x25519.getPublicKey(recipient))).publicKey).not.toEqual(publicKey);
  });

  test('error: a small-order public key (all-zero result) and wrong lengths are refused', async () => {
    const m = await load();
    const secret = x25519.utils.randomSecretKey();
    await expect(m.x25519SharedSecret(secret, new Uint8Array(32))).rejects.toThrow(/X25519/);
    await expect(m.x25519SharedSecret(secret, Uint8Array.of(1, ...new Uint8Array(31)))).rejects.toThrow(/X25519/);
    await expect(m.x25519Ephemeral(new Uint8Array(32))).rejects.toThrow(/X25519/);
    await expect(m.x25519SharedSecret(secret, new Uint8Array(31))).rejects.toThrow(/32 bytes/);
    await expect(m.x25519PublicKey(new Uint8Array(33))).rejects.toThrow(/32 bytes/);
  });
});
