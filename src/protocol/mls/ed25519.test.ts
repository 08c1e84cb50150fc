import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type * as Module from './ed25519.js';
import { ed25519Sign, ed25519Verify, nativeEd25519 } from './ed25519.js';
import { concatBytes } from './tls.js';

// RFC 8032 §7.1, TEST 1 and TEST 2.
const VECTORS = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];
const PKCS8_PREFIX = hexToBytes('302e020100300506032b657004220420');
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** The module loaded again with WebCrypto's Ed25519 unavailable: the noble path. */
async function withoutWebCrypto(): Promise<typeof Module> {
  vi.resetModules();
  const real = globalThis.crypto;
  vi.stubGlobal('crypto', { getRandomValues: <T extends ArrayBufferView>(a: T) => real.getRandomValues(a), subtle: undefined });
  const module = await import('./ed25519.js');
  await module.nativeEd25519(); // decided once, while WebCrypto is missing
  vi.unstubAllGlobals();
  return module;
}

afterEach(() => vi.unstubAllGlobals());

describe('ed25519', () => {
  test('default: Node has WebCrypto Ed25519 and it is the one used', async () => {
    expect(await nativeEd25519()).toBe(globalThis.crypto.subtle);
  });

  test.each(VECTORS)('default: RFC 8032 vector %#: the signature and its verification', async (v) => {
    const [secret, publicKey, message] = [hexToBytes(v.secret), hexToBytes(v.public), hexToBytes(v.message)];
    expect(bytesToHex(await ed25519Sign(secret, message))).toBe(v.signature);
    expect(bytesToHex(await ed25519Sign(concatBytes(PKCS8_PREFIX, secret), message))).toBe(v.signature);
    expect(await ed25519Verify(publicKey, message, hexToBytes(v.signature))).toBe(true);
  });

  test('behavior: signatures equal noble’s, byte for byte, and verify on both', async () => {
    for (let i = 0; i < 20; i++) {
      const secret = ed25519.utils.randomSecretKey();
      const message = crypto.getRandomValues(new Uint8Array(i * 37));
      const signature = await ed25519Sign(secret, message);
      expect(signature).toEqual(ed25519.sign(message, secret));
      expect(await ed25519Verify(ed25519.getPublicKey(secret), message, signature)).toBe(true);
    }
  });

  test('error: a wrong message, key or signature, or a wrong length, does not verify (never throws)', async () => {
    const secret = ed25519.utils.randomSecretKey();
    const publicKey = ed25519.getPublicKey(secret);
    const message = new TextEncoder().encode('hello');
    const signature = await ed25519Sign(secret, message);
    expect(await ed25519Verify(publicKey, new TextEncoder().encode('hellO'), signature)).toBe(false);
    expect(await ed25519Verify(ed25519.getPublicKey(ed25519.utils.randomSecretKey()), message, signature)).toBe(false);
    const flipped = signature.slice();
    flipped[10]! ^= 1;
    expect(await ed25519Verify(publicKey, message, flipped)).toBe(false);
    expect(await ed25519Verify(publicKey, message, signature.subarray(0, 63))).toBe(false);
    expect(await ed25519Verify(publicKey.subarray(0, 31), message, signature)).toBe(false);
    expect(await ed25519Verify(new Uint8Array(32).fill(0xff), message, signature)).toBe(false);
    await expect(ed25519Sign(new Uint8Array(31), message)).rejects.toThrow(/32-byte seed/);
  });

  test('behavior: a signature that verified once is not trusted for another message or key, nor after its message changed in place', async () => {
    const secret = ed25519.utils.randomSecretKey();
    const publicKey = ed25519.getPublicKey(secret);
    const message = new TextEncoder().encode('remembered');
    const signature = await ed25519Sign(secret, message);
    expect(await ed25519Verify(publicKey, message, signature)).toBe(true);
    expect(await ed25519Verify(publicKey, message, signature)).toBe(true);
    expect(await ed25519Verify(publicKey, new TextEncoder().encode('rememberet'), signature)).toBe(false);
    expect(await ed25519Verify(ed25519.getPublicKey(ed25519.utils.randomSecretKey()), message, signature)).toBe(false);
    message[0]! ^= 1;
    expect(await ed25519Verify(publicKey, message, signature)).toBe(false);
    message[0]! ^= 1;
    expect(await ed25519Verify(publicKey, message, signature)).toBe(true);
  });

  test('behavior: never more permissive than noble’s default verification (S ≥ L, non-canonical R, small-order key)', async () => {
    const secret = ed25519.utils.randomSecretKey();
    const publicKey = ed25519.getPublicKey(secret);
    const message = new TextEncoder().encode('edge');
    const signature = ed25519.sign(message, secret);
    // S + L: the same point equation, a non-canonical scalar.
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
    const sPlusL = s + L;
    const malleated = signature.slice();
    for (let i = 0; i < 32; i++) malleated[32 + i] = Number((sPlusL >> BigInt(8 * i)) & 0xffn);
    // The identity as public key and R, S = 0: valid for any message under the cofactored equation.
    const identity = Uint8Array.of(1, ...new Uint8Array(31));
    const trivial = concatBytes(identity, new Uint8Array(32));
    // R with y = p + 1 (a non-canonical encoding of y = 1, the identity).
    const nonCanonicalR = concatBytes(hexToBytes('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), new Uint8Array(32));
    for (const [key, sig] of [
      [publicKey, malleated],
      [identity, trivial],
      [identity, nonCanonicalR],
    ] as const) {
      const ours = await ed25519Verify(key, message, sig);
      let noble: boolean;
      try {
        noble = ed25519.verify(sig, message, key);
      } catch {
        noble = false;
      }
      if (ours) expect(noble).toBe(true);
    }
    expect(await ed25519Verify(publicKey, message, malleated)).toBe(false);
  });

  test('behavior: without WebCrypto Ed25519 the same signatures and verdicts come from noble', async () => {
    const fallback = await withoutWebCrypto();
    expect(await fallback.nativeEd25519()).toBeUndefined();
    for (const v of VECTORS) {
      const [secret, publicKey, message] = [hexToBytes(v.secret), hexToBytes(v.public), hexToBytes(v.message)];
      expect(bytesToHex(await fallback.ed25519Sign(secret, message))).toBe(v.signature);
      expect(await fallback.ed25519Verify(publicKey, message, hexToBytes(v.signature))).toBe(true);
      expect(await fallback.ed25519Verify(publicKey, concatBytes(message, Uint8Array.of(0)), hexToBytes(v.signature))).toBe(false);
    }
  });
});
