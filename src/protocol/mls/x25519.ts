/**
 * X25519 (RFC 7748) on the platform's WebCrypto when it has the algorithm (Node ≥ 20, Chromium's
 * service worker), else on @noble/curves. Which one is decided once, by checking RFC 7748 §6.1 on
 * WebCrypto; any failure selects noble. Pure; runs everywhere.
 *
 * Why: a pure-JS scalar multiplication costs about 2 ms on the main thread; WebCrypto's is native and
 * runs off it, so an MLS commit's many HPKE encryptions proceed in parallel. Imports are what costs
 * on WebCrypto (a PKCS#8 secret key ~0.5 ms on Node), so: public keys are cached by their bytes (the
 * same tree nodes are encrypted to commit after commit), the few recent secret keys by their SHA-256
 * (an HPKE open or an X-Wing operation uses one twice), and ephemeral and fresh key pairs are
 * generated natively (`x25519Ephemeral`, `x25519GenerateKeyPair`), never imported. All caches are
 * bounded and in memory only.
 *
 * Guarantees: both paths compute the same function (scalars clamped, the public key's top bit
 * ignored, RFC 7748 §5); shared secrets are refused when all-zero (a small-order public key), as
 * RFC 9180 §7.1.4 requires of HPKE.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { bufferSource, bytesEqual, concatBytes } from './tls.js';

/** DER PrivateKeyInfo prefix of an X25519 private key (RFC 8410): followed by the 32 key bytes. */
const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
const BASE_POINT = Uint8Array.of(9, ...new Uint8Array(31));
const ALGORITHM = { name: 'X25519' } as const;

const CACHE_LIMIT = { public: 4096, private: 64 };
const publicKeys = new Map<string, Promise<CryptoKey>>();
/** Imported secret keys, by the SHA-256 of the key (an import costs ~0.5 ms on Node: an HPKE open, or X-Wing, uses one key twice). */
const privateKeys = new Map<string, Promise<CryptoKey>>();

function cached(cache: Map<string, Promise<CryptoKey>>, limit: number, id: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let hit = cache.get(id);
  if (hit) {
    cache.delete(id); // most recently used last
    cache.set(id, hit);
    return hit;
  }
  hit = load();
  cache.set(id, hit);
  hit.catch(() => cache.delete(id));
  if (cache.size > limit) cache.delete(cache.keys().next().value!);
  return hit;
}

function publicKeyOf(subtle: SubtleCrypto, publicKey: Uint8Array): Promise<CryptoKey> {
  return cached(publicKeys, CACHE_LIMIT.public, bytesToHex(publicKey), () => subtle.importKey('raw', bufferSource(publicKey), ALGORITHM, false, []));
}

function privateKeyOf(subtle: SubtleCrypto, secretKey: Uint8Array): Promise<CryptoKey> {
  return cached(privateKeys, CACHE_LIMIT.private, bytesToHex(sha256(secretKey)), () =>
    subtle.importKey('pkcs8', bufferSource(concatBytes(PKCS8_PREFIX, secretKey)), ALGORITHM, false, ['deriveBits']),
  );
}

async function deriveWith(subtle: SubtleCrypto, sk: CryptoKey, publicKey: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: await publicKeyOf(subtle, publicKey) }, sk, 256));
}

async function derive(subtle: SubtleCrypto, secretKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
  return deriveWith(subtle, await privateKeyOf(subtle, secretKey), publicKey);
}

function checkShared(shared: Uint8Array): Uint8Array {
  if (shared.every((b) => b === 0)) throw new Error('X25519 produced the all-zero shared secret (small-order public key)');
  return shared;
}

// RFC 7748 §6.1.
const ALICE_SECRET = hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const ALICE_PUBLIC = hexToBytes('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
const BOB_PUBLIC = hexToBytes('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const SHARED = hexToBytes('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');

let native: Promise<SubtleCrypto | undefined> | undefined;

/** WebCrypto's SubtleCrypto when it does X25519 correctly, else undefined (checked once). */
export function nativeX25519(): Promise<SubtleCrypto | undefined> {
  native ??= (async () => {
    const subtle = globalThis.crypto?.subtle;
    if (!subtle) return undefined;
    try {
      const [pub, shared] = await Promise.all([derive(subtle, ALICE_SECRET, BASE_POINT), derive(subtle, ALICE_SECRET, BOB_PUBLIC)]);
      return bytesEqual(pub, ALICE_PUBLIC) && bytesEqual(shared, SHARED) ? subtle : undefined;
    } catch {
      return undefined;
    }
  })();
  return native;
}

function check(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new RangeError(`An X25519 ${what} is 32 bytes, got ${bytes?.length}`);
}

/** X25519(secretKey, publicKey); throws on an all-zero result. */
export async function x25519SharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
  check(secretKey, 'secret key');
  check(publicKey, 'public key');
  const subtle = await nativeX25519();
  let shared: Uint8Array;
  try {
    shared = subtle ? await derive(subtle, secretKey, publicKey) : x25519.getSharedSecret(secretKey, publicKey);
  } catch (cause) {
    throw new Error('X25519 failed (small-order public key?)', { cause });
  }
  return checkShared(shared);
}

/** The public key of an X25519 secret key: X25519(secretKey, 9). */
export async function x25519PublicKey(secretKey: Uint8Array): Promise<Uint8Array> {
  check(secretKey, 'secret key');
  const subtle = await nativeX25519();
  return subtle ? derive(subtle, secretKey, BASE_POINT) : x25519.getPublicKey(secretKey);
}

export interface X25519KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

const fromBase64Url = (text: string): Uint8Array => {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
};

/** A fresh key pair (generated natively: no secret-key import). */
export async function x25519GenerateKeyPair(): Promise<X25519KeyPair> {
  const subtle = await nativeX25519();
  if (!subtle) {
    const secretKey = x25519.utils.randomSecretKey();
    return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
  }
  const pair = (await subtle.generateKey(ALGORITHM, true, ['deriveBits'])) as CryptoKeyPair;
  const jwk = await subtle.exportKey('jwk', pair.privateKey);
  if (typeof jwk.d !== 'string' || typeof jwk.x !== 'string') throw new Error('X25519 key export without d or x');
  const secretKey = fromBase64Url(jwk.d);
  const publicKey = fromBase64Url(jwk.x);
  check(secretKey, 'secret key');
  check(publicKey, 'public key');
  return { secretKey, publicKey };
}

/** An ephemeral key agreement with `publicKey` (DHKEM's Encap): the ephemeral public key and the shared secret; throws on an all-zero result. */
export async function x25519Ephemeral(publicKey: Uint8Array): Promise<{ readonly publicKey: Uint8Array; readonly sharedSecret: Uint8Array }> {
  check(publicKey, 'public key');
  const subtle = await nativeX25519();
  let ephemeral: Uint8Array;
  let shared: Uint8Array;
  try {
    if (subtle) {
      const pair = (await subtle.generateKey(ALGORITHM, false, ['deriveBits'])) as CryptoKeyPair;
      [ephemeral, shared] = await Promise.all([subtle.exportKey('raw', pair.publicKey).then((b) => new Uint8Array(b)), deriveWith(subtle, pair.privateKey, publicKey)]);
    } else {
      const secretKey = x25519.utils.randomSecretKey();
      [ephemeral, shared] = [x25519.getPublicKey(secretKey), x25519.getSharedSecret(secretKey, publicKey)];
    }
  } catch (cause) {
    throw new Error('X25519 failed (small-order public key?)', { cause });
  }
  return { publicKey: ephemeral, sharedSecret: checkShared(shared) };
}
