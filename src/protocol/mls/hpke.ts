/**
 * HPKE (RFC 9180), mode base, with HKDF-SHA256 (0x0001) and ChaCha20-Poly1305 (0x0003): with the KEM
 * DHKEM(X25519, HKDF-SHA256) (0x0020) it is MLS cipher suite 3's HPKE and libxmtp's Curve25519
 * welcome wrapper; `hpkeContext` runs the same key schedule after any KEM (libxmtp's X-Wing welcome
 * wrapper, KEM id 0x004D). Pure; runs everywhere.
 *
 * The X25519 operations go to WebCrypto when the platform has it (`x25519.ts`, else noble); HKDF
 * and the AEAD run synchronously on @noble/hashes and @noble/ciphers, whose per-call cost on the
 * small inputs HPKE hashes is far below a WebCrypto round trip. Output is byte-for-byte what any
 * RFC 9180 implementation (e.g. @hpke/core) gives for the same ephemeral key.
 *
 * `info_hash` of the last long `info` is remembered (the bytes compared, not trusted): MLS encrypts
 * a commit's path secret to every node of a resolution under the same, often large, GroupContext.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes } from './tls.js';
import { x25519Ephemeral, x25519GenerateKeyPair, x25519PublicKey, x25519SharedSecret } from './x25519.js';

/** DHKEM(X25519, HKDF-SHA256). */
export const DHKEM_X25519_KEM_ID = 0x0020;
const KEM_ID = DHKEM_X25519_KEM_ID;
const KDF_ID = 0x0001;
const AEAD_ID = 0x0003;
/** Nsecret, Nenc, Npk, Nsk; Nk, Nn; Nh. */
export const HPKE_SIZES = { secret: 32, enc: 32, publicKey: 32, privateKey: 32, key: 32, nonce: 12, hash: 32 } as const;

const utf8 = (s: string) => new TextEncoder().encode(s);
const i2osp2 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const HPKE_V1 = utf8('HPKE-v1');
const KEM_SUITE = concatBytes(utf8('KEM'), i2osp2(KEM_ID));
const EMPTY = new Uint8Array(0);
const MODE_BASE = 0x00;

function labeledExtract(suite: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
  return extract(sha256, concatBytes(HPKE_V1, suite, utf8(label), ikm), salt);
}

function labeledExpand(suite: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number): Uint8Array {
  return expand(sha256, prk, concatBytes(i2osp2(length), HPKE_V1, suite, utf8(label), info), length);
}

/** Per KEM id: the HPKE suite_id and the (constant, empty-PSK) psk_id_hash. */
interface Suite {
  readonly id: Uint8Array;
  readonly pskIdHash: Uint8Array;
}
const suites = new Map<number, Suite>();

function suiteOf(kemId: number): Suite {
  let suite = suites.get(kemId);
  if (!suite) {
    const id = concatBytes(utf8('HPKE'), i2osp2(kemId), i2osp2(KDF_ID), i2osp2(AEAD_ID));
    suite = { id, pskIdHash: labeledExtract(id, EMPTY, 'psk_id_hash', EMPTY) };
    suites.set(kemId, suite);
  }
  return suite;
}

const INFO_MEMO_MIN = 256;
let lastInfo: { readonly suite: Suite; readonly info: Uint8Array; readonly hash: Uint8Array } | undefined;

function infoHash(suite: Suite, info: Uint8Array): Uint8Array {
  if (info.length >= INFO_MEMO_MIN && lastInfo?.suite === suite && bytesEqual(lastInfo.info, info)) return lastInfo.hash;
  const hash = labeledExtract(suite.id, EMPTY, 'info_hash', info);
  if (info.length >= INFO_MEMO_MIN) lastInfo = { suite, info: info.slice(), hash };
  return hash;
}

export interface HpkeKeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A fresh key pair (GenerateKeyPair). */
export async function hpkeGenerateKeyPair(): Promise<HpkeKeyPair> {
  const { secretKey, publicKey } = await x25519GenerateKeyPair();
  return { privateKey: secretKey, publicKey };
}

/** RFC 9180 §7.1.3 DeriveKeyPair for X25519. */
export async function hpkeDeriveKeyPair(ikm: Uint8Array): Promise<HpkeKeyPair> {
  const dkpPrk = labeledExtract(KEM_SUITE, EMPTY, 'dkp_prk', ikm);
  const privateKey = labeledExpand(KEM_SUITE, dkpPrk, 'sk', EMPTY, HPKE_SIZES.privateKey);
  return { privateKey, publicKey: await x25519PublicKey(privateKey) };
}

function extractAndExpand(dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
  const eaePrk = labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dh);
  return labeledExpand(KEM_SUITE, eaePrk, 'shared_secret', kemContext, HPKE_SIZES.secret);
}

interface KeySchedule {
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
  /** Derived on first use: most contexts only seal or open. */
  exporterSecret(): Uint8Array;
}

function keySchedule(suite: Suite, sharedSecret: Uint8Array, info: Uint8Array): KeySchedule {
  const context = concatBytes(Uint8Array.of(MODE_BASE), suite.pskIdHash, infoHash(suite, info));
  const secret = labeledExtract(suite.id, sharedSecret, 'secret', EMPTY);
  let exporterSecret: Uint8Array | undefined;
  return {
    key: labeledExpand(suite.id, secret, 'key', context, HPKE_SIZES.key),
    baseNonce: labeledExpand(suite.id, secret, 'base_nonce', context, HPKE_SIZES.nonce),
    exporterSecret: () => (exporterSecret ??= labeledExpand(suite.id, secret, 'exp', context, HPKE_SIZES.hash)),
  };
}

/** An HPKE context: messages are sealed / opened in order (sequence number 0, 1, …). */
export interface HpkeContext {
  /** The encapsulated key (the sender's ephemeral public key). */
  readonly enc: Uint8Array;
  seal(plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** Throws when the ciphertext does not authenticate. */
  open(ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array;
  export(exporterContext: Uint8Array, length: number): Uint8Array;
}

function context(suite: Suite, enc: Uint8Array, schedule: KeySchedule): HpkeContext {
  let seq = 0;
  const nonce = (): Uint8Array => {
    const n = schedule.baseNonce.slice();
    for (let i = 0, s = seq; i < 6 && s > 0; i++, s = Math.floor(s / 256)) n[HPKE_SIZES.nonce - 1 - i]! ^= s & 0xff;
    seq++;
    return n;
  };
  return {
    enc,
    seal: (plaintext, aad = EMPTY) => chacha20poly1305(schedule.key, nonce(), aad).encrypt(plaintext),
    open: (ciphertext, aad = EMPTY) => {
      // The sequence number advances only when a message opens (RFC 9180 §5.2).
      const n = nonce();
      try {
        return chacha20poly1305(schedule.key, n, aad).decrypt(ciphertext);
      } catch (error) {
        seq--;
        throw error;
      }
    },
    export: (exporterContext, length) => labeledExpand(suite.id, schedule.exporterSecret(), 'sec', exporterContext, length),
  };
}

/** SetupBaseS: encapsulates to `publicKey` with a fresh ephemeral key (or, for known-answer tests only, the one given). */
export async function hpkeSetupSender(publicKey: Uint8Array, info: Uint8Array, testEphemeral?: HpkeKeyPair): Promise<HpkeContext> {
  const { publicKey: enc, sharedSecret: dh } = testEphemeral
    ? { publicKey: testEphemeral.publicKey, sharedSecret: await x25519SharedSecret(testEphemeral.privateKey, publicKey) }
    : await x25519Ephemeral(publicKey);
  return hpkeContext(KEM_ID, extractAndExpand(dh, concatBytes(enc, publicKey)), enc, info);
}

/** SetupBaseR. `publicKey` (the recipient's, derived from `privateKey` when not given) enters the KEM context. */
export async function hpkeSetupReceiver(privateKey: Uint8Array, enc: Uint8Array, info: Uint8Array, publicKey?: Uint8Array): Promise<HpkeContext> {
  const [dh, pkR] = await Promise.all([x25519SharedSecret(privateKey, enc), publicKey ?? x25519PublicKey(privateKey)]);
  return hpkeContext(KEM_ID, extractAndExpand(dh, concatBytes(enc, pkR)), enc, info);
}

/** The key schedule (mode base) and context after any KEM: its id, shared secret and encapsulation. */
export function hpkeContext(kemId: number, sharedSecret: Uint8Array, enc: Uint8Array, info: Uint8Array): HpkeContext {
  const suite = suiteOf(kemId);
  return context(suite, enc, keySchedule(suite, sharedSecret, info));
}
