/**
 * ts-mls's CiphersuiteImpl for MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519 (0x0003, the only
 * suite XMTP groups use), built for speed on both the service worker and Node: the same algorithms
 * as ts-mls's default provider, computed differently. Pure; runs everywhere.
 *
 * - hash / HMAC / HKDF: SHA-256 on @noble/hashes, synchronously (ts-mls derives dozens of small
 *   secrets per message; a WebCrypto call costs more than the hashing). Inputs of 4 KiB and more are
 *   digested by WebCrypto, off the main thread.
 * - signatures: Ed25519 on WebCrypto with cached keys, else noble (`ed25519.ts`).
 * - HPKE: RFC 9180 base mode with X25519 on WebCrypto, else noble (`hpke.ts`, `x25519.ts`); the
 *   AEAD is ChaCha20-Poly1305 on @noble/ciphers, as ts-mls's default.
 * Every output is byte-for-byte what ts-mls's default provider computes (signatures and MACs are
 * deterministic; HPKE differs only by its random ephemeral key); failures are ts-mls `CryptoError`s
 * where its default provider throws them. Keys handed to ts-mls as `PublicKey` / `PrivateKey` are
 * opaque holders of the raw bytes (ts-mls never looks inside them).
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CryptoError, type CiphersuiteImpl, type Hash, type Hpke, type Kdf, type PrivateKey, type PublicKey, type Signature } from 'ts-mls';
import { ed25519Sign, ed25519Verify } from './ed25519.js';
import { HPKE_SIZES, hpkeDeriveKeyPair, hpkeGenerateKeyPair, hpkeSetupReceiver, hpkeSetupSender } from './hpke.js';
import { XMTP_CIPHER_SUITE } from './key-package.js';
import { bufferSource } from './tls.js';

const NATIVE_DIGEST_MIN = 4096;

export const xmtpHash: Hash = {
  async digest(data) {
    const subtle = globalThis.crypto?.subtle;
    if (subtle && data.length >= NATIVE_DIGEST_MIN) return new Uint8Array(await subtle.digest('SHA-256', bufferSource(data)));
    return sha256(data);
  },
  async mac(key, data) {
    return hmac(sha256, key, data);
  },
  async verifyMac(key, mac, data) {
    const expected = hmac(sha256, key, data);
    if (mac.length !== expected.length) return false;
    let diff = 0;
    for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ mac[i]!;
    return diff === 0;
  },
};

export const xmtpKdf: Kdf = {
  async extract(salt, ikm) {
    return extract(sha256, ikm, salt);
  },
  async expand(prk, info, len) {
    return expand(sha256, prk, info, len);
  },
  size: 32,
};

export const xmtpSignature: Signature = {
  sign: (signKey, message) => ed25519Sign(signKey, message),
  verify: (publicKey, message, signature) => ed25519Verify(publicKey, message, signature),
  async keygen() {
    const signKey = ed25519.utils.randomSecretKey();
    return { signKey, publicKey: ed25519.getPublicKey(signKey) };
  },
};

interface RawKey {
  readonly type: 'public' | 'private';
  readonly raw: Uint8Array;
  /** For a private key whose public key is known (generated or derived): saves a scalar multiplication when opening. */
  readonly publicKey?: Uint8Array;
}

const asPublic = (raw: Uint8Array): PublicKey => ({ type: 'public', raw }) satisfies RawKey as unknown as PublicKey;
const asPrivate = (raw: Uint8Array, publicKey?: Uint8Array): PrivateKey =>
  ({ type: 'private', raw, ...(publicKey ? { publicKey } : {}) }) satisfies RawKey as unknown as PrivateKey;

function rawOf(key: PublicKey | PrivateKey, type: RawKey['type']): RawKey {
  const k = key as unknown as Partial<RawKey>;
  if (k.type !== type || !(k.raw instanceof Uint8Array)) throw new CryptoError(`Not an X25519 ${type} key of this cipher suite`);
  return k as RawKey;
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) throw new CryptoError(`Invalid ${what}: ${bytes.length} bytes, expected ${length}`);
}

async function asCryptoError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw e instanceof CryptoError ? e : new CryptoError(`${e}`);
  }
}

export const xmtpHpke: Hpke = {
  async seal(publicKey, plaintext, info, aad) {
    const ctx = await hpkeSetupSender(rawOf(publicKey, 'public').raw, info);
    return { ct: ctx.seal(plaintext, aad), enc: ctx.enc };
  },
  open(privateKey, kemOutput, ciphertext, info, aad) {
    return asCryptoError(async () => {
      const sk = rawOf(privateKey, 'private');
      checkLength(kemOutput, HPKE_SIZES.enc, 'HPKE enc');
      const ctx = await hpkeSetupReceiver(sk.raw, kemOutput, info, sk.publicKey);
      return ctx.open(ciphertext, aad);
    });
  },
  async exportSecret(publicKey, exporterContext, length, info) {
    const ctx = await hpkeSetupSender(rawOf(publicKey, 'public').raw, info);
    return { enc: ctx.enc, secret: ctx.export(exporterContext, length) };
  },
  importSecret(privateKey, exporterContext, kemOutput, length, info) {
    return asCryptoError(async () => {
      const sk = rawOf(privateKey, 'private');
      checkLength(kemOutput, HPKE_SIZES.enc, 'HPKE enc');
      const ctx = await hpkeSetupReceiver(sk.raw, kemOutput, info, sk.publicKey);
      return ctx.export(exporterContext, length);
    });
  },
  async importPrivateKey(k) {
    checkLength(k, HPKE_SIZES.privateKey, 'X25519 private key');
    return asPrivate(k.slice());
  },
  async importPublicKey(k) {
    checkLength(k, HPKE_SIZES.publicKey, 'X25519 public key');
    return asPublic(k.slice());
  },
  async exportPublicKey(k) {
    return rawOf(k, 'public').raw.slice();
  },
  async exportPrivateKey(k) {
    return rawOf(k, 'private').raw.slice();
  },
  async encryptAead(key, nonce, aad, plaintext) {
    return chacha20poly1305(key, nonce, aad ?? new Uint8Array()).encrypt(plaintext);
  },
  decryptAead(key, nonce, aad, ciphertext) {
    return asCryptoError(async () => chacha20poly1305(key, nonce, aad ?? new Uint8Array()).decrypt(ciphertext));
  },
  async deriveKeyPair(ikm) {
    const { privateKey, publicKey } = await hpkeDeriveKeyPair(ikm);
    return { privateKey: asPrivate(privateKey, publicKey), publicKey: asPublic(publicKey) };
  },
  async generateKeyPair() {
    const { privateKey, publicKey } = await hpkeGenerateKeyPair();
    return { privateKey: asPrivate(privateKey, publicKey), publicKey: asPublic(publicKey) };
  },
  keyLength: HPKE_SIZES.key,
  nonceLength: HPKE_SIZES.nonce,
};

const suite: CiphersuiteImpl = {
  hash: xmtpHash,
  hpke: xmtpHpke,
  signature: xmtpSignature,
  kdf: xmtpKdf,
  rng: { randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)) },
  id: XMTP_CIPHER_SUITE,
};

/** The cipher suite for `MlsContext.cipherSuite` (one shared instance; stateless but for key caches). */
export function xmtpCiphersuite(): CiphersuiteImpl {
  return suite;
}
