/**
 * Ed25519 (RFC 8032, pure Ed25519 — not Ed25519ph) on the platform's WebCrypto when it has the
 * algorithm (Node ≥ 20, Chromium's service worker), else on @noble/curves. Which one is decided once,
 * by checking RFC 8032 §7.1 test 1 (sign and verify) on WebCrypto; any failure selects noble. Pure;
 * runs everywhere.
 *
 * Why: noble's verification costs milliseconds on the main thread; WebCrypto's runs natively and off
 * the main thread, so many signatures verify in parallel. Imported keys are cached (public keys by
 * their bytes, signing keys by the SHA-256 of the seed, both bounded) since MLS verifies the same
 * leaves and signs with the same installation key over and over; so are signatures that verified
 * (with their key and message), since MLS checks a key package's twice in a row.
 *
 * Guarantees: `ed25519Verify` resolves false for a signature that does not verify, or a signature or
 * public key of the wrong length (never throws). WebCrypto (OpenSSL / BoringSSL) accepts a subset
 * of what noble's default (ZIP-215) verification accepts: every honest signature verifies on both,
 * and nothing is accepted that the noble path would refuse. `ed25519Sign` gives the RFC 8032
 * deterministic signature (identical bytes on both paths) for a 32-byte seed, or a PKCS#8 Ed25519
 * private key as WebCrypto exports it.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { bufferSource, bytesEqual, concatBytes } from './tls.js';

/** DER PrivateKeyInfo prefix of an Ed25519 seed (RFC 8410): followed by the 32 seed bytes. */
const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

const CACHE_LIMIT = { verify: 4096, sign: 64 };
const verifyKeys = new Map<string, Promise<CryptoKey>>();
const signKeys = new Map<string, Promise<CryptoKey>>();

/** The 32-byte seed of a seed or of a PKCS#8 Ed25519 private key; undefined for anything else. */
function seedOf(secretKey: Uint8Array): Uint8Array | undefined {
  if (secretKey.length === 32) return secretKey;
  if (secretKey.length === PKCS8_PREFIX.length + 32 && bytesEqual(secretKey.subarray(0, PKCS8_PREFIX.length), PKCS8_PREFIX)) {
    return secretKey.subarray(PKCS8_PREFIX.length);
  }
  return undefined;
}

function cached(cache: Map<string, Promise<CryptoKey>>, limit: number, key: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let hit = cache.get(key);
  if (hit) {
    cache.delete(key); // most recently used last
    cache.set(key, hit);
    return hit;
  }
  hit = load();
  cache.set(key, hit);
  hit.catch(() => cache.delete(key));
  if (cache.size > limit) cache.delete(cache.keys().next().value!);
  return hit;
}

function verifyKey(subtle: SubtleCrypto, publicKey: Uint8Array): Promise<CryptoKey> {
  return cached(verifyKeys, CACHE_LIMIT.verify, bytesToHex(publicKey), () => subtle.importKey('raw', bufferSource(publicKey), 'Ed25519', false, ['verify']));
}

function signKey(subtle: SubtleCrypto, seed: Uint8Array): Promise<CryptoKey> {
  return cached(signKeys, CACHE_LIMIT.sign, bytesToHex(sha256(seed)), () =>
    subtle.importKey('pkcs8', bufferSource(concatBytes(PKCS8_PREFIX, seed)), 'Ed25519', false, ['sign']),
  );
}

// RFC 8032 §7.1, TEST 1 (empty message).
const TEST_SEED = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const TEST_PUBLIC = hexToBytes('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const TEST_SIGNATURE = hexToBytes(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
);

let native: Promise<SubtleCrypto | undefined> | undefined;

/** WebCrypto's SubtleCrypto when it does Ed25519 correctly, else undefined (checked once). */
export function nativeEd25519(): Promise<SubtleCrypto | undefined> {
  native ??= (async () => {
    const subtle = globalThis.crypto?.subtle;
    if (!subtle) return undefined;
    try {
      const key = await subtle.importKey('pkcs8', bufferSource(concatBytes(PKCS8_PREFIX, TEST_SEED)), 'Ed25519', false, ['sign']);
      const signature = new Uint8Array(await subtle.sign('Ed25519', key, new Uint8Array(0)));
      const publicKey = await subtle.importKey('raw', bufferSource(TEST_PUBLIC), 'Ed25519', false, ['verify']);
      const valid = await subtle.verify('Ed25519', publicKey, bufferSource(TEST_SIGNATURE), new Uint8Array(0));
      return valid && bytesEqual(signature, TEST_SIGNATURE) ? subtle : undefined;
    } catch {
      return undefined;
    }
  })();
  return native;
}

/**
 * Signatures that verified, by the signature (with the key and message they verified for, compared
 * in full): a pure function of its inputs, so the same triple verifies again without the work. MLS
 * checks the same signatures twice in a row (a key package when it is fetched, then when ts-mls
 * commits its Add). Only valid results are kept; bounded; messages over 4 KiB are not kept.
 */
const verified = new Map<string, { readonly publicKey: Uint8Array; readonly message: Uint8Array }>();
const VERIFIED_LIMIT = 1024;
const VERIFIED_MESSAGE_MAX = 4096;

function knownValid(id: string, publicKey: Uint8Array, message: Uint8Array): boolean {
  const hit = verified.get(id);
  return hit !== undefined && bytesEqual(hit.publicKey, publicKey) && bytesEqual(hit.message, message);
}

function rememberValid(id: string, publicKey: Uint8Array, message: Uint8Array): void {
  if (message.length > VERIFIED_MESSAGE_MAX) return;
  verified.delete(id);
  verified.set(id, { publicKey: publicKey.slice(), message: message.slice() });
  if (verified.size > VERIFIED_LIMIT) verified.delete(verified.keys().next().value!);
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `message`. */
export async function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const id = bytesToHex(signature);
  if (knownValid(id, publicKey, message)) return true;
  const subtle = await nativeEd25519();
  let valid: boolean;
  try {
    valid = subtle ? await subtle.verify('Ed25519', await verifyKey(subtle, publicKey), bufferSource(signature), bufferSource(message)) : ed25519.verify(signature, message, publicKey);
  } catch {
    valid = false;
  }
  if (valid) rememberValid(id, publicKey, message);
  return valid;
}

/** The Ed25519 signature of `message` by `secretKey` (a 32-byte seed, or PKCS#8 as WebCrypto exports it). */
export async function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const seed = seedOf(secretKey);
  if (!seed) throw new RangeError(`An Ed25519 secret key is a 32-byte seed or 48-byte PKCS#8, got ${secretKey.length} bytes`);
  const subtle = await nativeEd25519();
  if (!subtle) return ed25519.sign(message, seed);
  return new Uint8Array(await subtle.sign('Ed25519', await signKey(subtle, seed), bufferSource(message)));
}
