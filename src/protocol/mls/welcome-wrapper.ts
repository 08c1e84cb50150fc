/**
 * XMTP welcome wrapping: the outer HPKE layer libxmtp puts around an MLS Welcome (and its
 * WelcomeMetadata) before sending it to one installation, and welcome pointers (one symmetric-key
 * "pointee" welcome shared by many installations, each of which gets an HPKE-wrapped pointer to it).
 * Pure; runs everywhere (service worker, Node, page): the KEM — X-Wing (@hpke/hybridkem-x-wing's
 * ML-KEM-768, X25519 on `x25519.ts`) or DHKEM(X25519) — then the RFC 9180 key schedule and
 * ChaCha20-Poly1305 of `hpke.ts` (X25519 on WebCrypto when the platform has it, the rest noble).
 *
 * HPKE (RFC 9180), as libxmtp 1.10 does it (`xmtp_mls/src/groups/mls_ext/welcome_wrapper.rs`
 * `wrap_welcome` / `unwrap_welcome`; `xmtp_id/src/key_package/mls_ext_wrapper_encryption.rs`
 * `to_hpke_config`):
 * - mode Base; KDF HKDF-SHA256 (0x0001); AEAD ChaCha20-Poly1305 (0x0003);
 * - KEM DHKEM(X25519, HKDF-SHA256) (0x0020) for CURVE25519, or X-Wing (draft-06: ML-KEM-768 +
 *   X25519) with the *obsolete* codepoint 0x004D for XWING_MLKEM_768_DRAFT_6 — not 0x647A, which
 *   @hpke/hybridkem-x-wing uses by default. The KEM id is part of the HPKE suite_id, so the
 *   codepoint changes every derived key;
 * - info = TLS `EncryptContext { opaque label<V> = "MLS 1.0 MLS_WELCOME"; opaque context<V> = "" }`
 *   (= 0x13 "MLS 1.0 MLS_WELCOME" 0x00); aad empty.
 * One sender context seals the welcome (seal #0) and then the metadata (seal #1). `data` is the TLS
 * `HpkeCiphertext { opaque kem_output<V>; opaque ciphertext<V> }` of seal #0; `welcome_metadata` is
 * the raw ciphertext of seal #1. The receiver opens both with one context, in that order; an empty
 * `welcome_metadata` means there is none.
 *
 * Private keys (the serializable form this module takes and returns):
 * - X-Wing: the 32-byte X-Wing decapsulation seed (draft-06 `sk`); the 1216-byte public key
 *   (ML-KEM-768 encapsulation key ‖ X25519 public key) is derived from it (`welcomeWrapperPublicKey`).
 * - Curve25519: the 32-byte X25519 private scalar. For welcomes this is the key package's HPKE init
 *   private key (and the recipient public key is the key package's `init_key`).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { KemInterface } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import {
  WelcomeMessageInput_V1Schema,
  WelcomeMetadataSchema,
  type WelcomeMessageInput_V1,
} from '../../gen/mls/api/v1/mls_pb.js';
import {
  WelcomePointeeEncryptionAeadType,
  WelcomePointer_WelcomeV1PointerSchema,
  WelcomePointerSchema,
  WelcomePointerWrapperAlgorithm,
  type WelcomePointer,
  type WelcomePointer_WelcomeV1Pointer,
} from '../../gen/mls/message_contents/welcome_pointer_pb.js';
import { WelcomeWrapperAlgorithm } from '../../gen/mls/message_contents/wrapper_encryption_pb.js';
import { ErrorCodes, XmtpError } from '../errors.js';
import { XWING_PUBLIC_KEY_LENGTH } from './xmtp-extensions.js';
import { bytesEqual, concatBytes, encodeVector } from './tls.js';
import { hpkeContext, hpkeSetupReceiver, hpkeSetupSender, type HpkeContext } from './hpke.js';
import { x25519Ephemeral, x25519GenerateKeyPair, x25519PublicKey, x25519SharedSecret } from './x25519.js';

export const WelcomeErrorCodes = {
  /** HPKE/AEAD open failed: wrong key, wrong KEM codepoint, wrong algorithm or tampered bytes. */
  decryptFailed: 'mls.welcome_decrypt_failed',
  /** The wrapped bytes are not a well-formed TLS HpkeCiphertext. */
  malformed: 'mls.welcome_malformed',
  /** A wrapper algorithm that cannot be used here (e.g. SYMMETRIC_KEY for a V1 welcome). */
  invalidAlgorithm: 'mls.welcome_invalid_algorithm',
  /** A public or private key of the wrong size or form for the algorithm. */
  invalidKey: 'mls.welcome_invalid_key',
  /** Sealing failed (e.g. a recipient public key the KEM rejects). */
  wrapFailed: 'mls.welcome_wrap_failed',
  /** A decrypted WelcomePointer that is not a usable WelcomeV1Pointer. */
  invalidPointer: 'mls.welcome_pointer_invalid',
  /** A pointee welcome that is not a SYMMETRIC_KEY V1 welcome. */
  invalidPointee: 'mls.welcome_pointee_invalid',
  /** WelcomeMetadata bytes that do not decode. */
  invalidMetadata: 'mls.welcome_metadata_invalid',
} as const;

export type WelcomeWrapperAlgorithmName = 'xwing' | 'curve25519';

/** HPKE KEM ids. X-Wing uses the obsolete draft-06 codepoint libxmtp 1.9/1.10 shipped with. */
export const XWING_DRAFT06_OBSOLETE_KEM_ID = 0x004d;
/** What @hpke/hybridkem-x-wing (and current hpke-rs) call X-Wing; libxmtp 1.10 cannot open it. */
export const XWING_CURRENT_KEM_ID = 0x647a;
export const DHKEM_X25519_KEM_ID = 0x0020;
export const HKDF_SHA256_KDF_ID = 0x0001;
export const CHACHA20_POLY1305_AEAD_ID = 0x0003;

// The X-Wing public key length is shared with the key-package extension 0xFF03.
export const XWING_ENCAPSULATION_LENGTH = 1120;
export const XWING_PRIVATE_KEY_LENGTH = 32;
export const X25519_KEY_LENGTH = 32;

/** libxmtp `WELCOME_HPKE_LABEL`; openmls prefixes "MLS 1.0 ". */
export const WELCOME_HPKE_LABEL = 'MLS_WELCOME';
/** TLS EncryptContext{label "MLS 1.0 MLS_WELCOME", context ""} = 0x13 "MLS 1.0 MLS_WELCOME" 0x00. */
export const WELCOME_HPKE_INFO: Uint8Array = concatBytes(
  encodeVector(new TextEncoder().encode(`MLS 1.0 ${WELCOME_HPKE_LABEL}`)),
  encodeVector(new Uint8Array(0)),
);

/** Welcome-pointer sizes (libxmtp `send_welcomes`): ChaCha20-Poly1305 key and nonces. */
export const POINTER_DESTINATION_LENGTH = 32;
export const POINTEE_KEY_LENGTH = 32;
export const POINTEE_NONCE_LENGTH = 12;

const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------
// Algorithms and suites

const ALGORITHMS: Record<WelcomeWrapperAlgorithmName, { publicKeyLength: number; privateKeyLength: number; encLength: number; label: string }> = {
  xwing: { publicKeyLength: XWING_PUBLIC_KEY_LENGTH, privateKeyLength: XWING_PRIVATE_KEY_LENGTH, encLength: XWING_ENCAPSULATION_LENGTH, label: 'X-Wing' },
  curve25519: { publicKeyLength: X25519_KEY_LENGTH, privateKeyLength: X25519_KEY_LENGTH, encLength: X25519_KEY_LENGTH, label: 'Curve25519' },
};

/** The X25519 half of X-Wing as @hpke/hybridkem-x-wing calls it (`_x25519.derive`), on `x25519.ts` (WebCrypto when the platform has it). */
const fastX25519 = { derive: (sk: Uint8Array, pk: Uint8Array): Promise<Uint8Array> => x25519SharedSecret(sk, pk) };

/** XWingLabel (draft-06), the combiner's last input: `\.//^\`. */
const XWING_LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);

interface XWingInternals {
  _x25519: typeof fastX25519;
  readonly _m: { encap(pk: Uint8Array, ekm?: Uint8Array): Promise<[Uint8Array, Uint8Array]> };
  serializePublicKey(key: CryptoKey): Promise<ArrayBuffer>;
}

function newXWingKem(): KemInterface {
  const kem = new XWing();
  // The suite_id is fixed when the CipherSuite is constructed, so the id must be set first.
  (kem as unknown as { id: number }).id = XWING_DRAFT06_OBSOLETE_KEM_ID;
  // Its X25519 is pure JS (~2 ms per scalar multiplication): the same function, on `x25519.ts`.
  const inner = kem as unknown as XWingInternals;
  inner._x25519 = fastX25519;
  // Encapsulation (no test `ekm`) as the package does it, X-Wing draft-06 — ct = ct_M ‖ ct_X,
  // ss = SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ XWingLabel) — but with the ephemeral X25519 key
  // generated natively (`x25519Ephemeral`) instead of imported from random bytes.
  const packageEncap = kem.encap.bind(kem);
  kem.encap = async (params) => {
    if (params.ekm !== undefined) return packageEncap(params);
    const pk = new Uint8Array(await inner.serializePublicKey(params.recipientPublicKey));
    if (pk.length !== XWING_PUBLIC_KEY_LENGTH) throw new Error(`Invalid length of recipientPublicKey: ${pk.length}`);
    const pkM = pk.subarray(0, XWING_PUBLIC_KEY_LENGTH - X25519_KEY_LENGTH);
    const pkX = pk.subarray(XWING_PUBLIC_KEY_LENGTH - X25519_KEY_LENGTH);
    const [{ publicKey: ctX, sharedSecret: ssX }, [ctM, ssM]] = await Promise.all([x25519Ephemeral(pkX), inner._m.encap(pkM)]);
    const sharedSecret = sha3_256(concatBytes(ssM, ssX, ctX, pkX, XWING_LABEL));
    return { sharedSecret: sharedSecret.buffer as ArrayBuffer, enc: concatBytes(ctM, ctX).buffer as ArrayBuffer };
  };
  return kem;
}

let xwing: KemInterface | undefined;

/** The X-Wing KEM (draft-06, KEM id 0x004D), one instance. */
function xwingKem(): KemInterface {
  xwing ??= newXWingKem();
  if ((xwing.id as number) !== XWING_DRAFT06_OBSOLETE_KEM_ID) throw new XmtpError(ErrorCodes.internal, `X-Wing KEM has id 0x${xwing.id.toString(16)}`);
  return xwing;
}

function checkAlgorithmName(algorithm: unknown): WelcomeWrapperAlgorithmName {
  if (algorithm === 'xwing' || algorithm === 'curve25519') return algorithm;
  throw new XmtpError(WelcomeErrorCodes.invalidAlgorithm, `Unknown welcome wrapper algorithm ${String(algorithm)}`);
}

/**
 * The wrapper algorithm of a received V1 welcome, as libxmtp reads it (`TryFrom<i32> for
 * WrapperAlgorithm`): 2 is X-Wing; 1, 0 and unknown values are Curve25519; 3 (SYMMETRIC_KEY) is
 * only valid for a welcome-pointer pointee (open it with `openWelcomePointee`).
 */
export function wrapperAlgorithmFromWire(value: number): WelcomeWrapperAlgorithmName {
  if (value === WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6) return 'xwing';
  if (value === WelcomeWrapperAlgorithm.SYMMETRIC_KEY) {
    throw new XmtpError(
      WelcomeErrorCodes.invalidAlgorithm,
      'Welcome wrapper algorithm SYMMETRIC_KEY (3) is only valid for a welcome-pointer pointee, not a V1 welcome',
    );
  }
  return 'curve25519';
}

export function wrapperAlgorithmToWire(algorithm: WelcomeWrapperAlgorithmName): WelcomeWrapperAlgorithm {
  return checkAlgorithmName(algorithm) === 'xwing' ? WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6 : WelcomeWrapperAlgorithm.CURVE25519;
}

function checkKey(bytes: Uint8Array, expected: number, what: string, algorithm: WelcomeWrapperAlgorithmName): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== expected) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new XmtpError(WelcomeErrorCodes.invalidKey, `${ALGORITHMS[algorithm].label} ${what} must be ${expected} bytes, got ${got}`);
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

/** An X-Wing key for the KEM (the bytes' length checked first). */
async function importXWingKey(key: Uint8Array, isPublic: boolean): Promise<CryptoKey> {
  const what = isPublic ? 'public key' : 'private key';
  checkKey(key, isPublic ? ALGORITHMS.xwing.publicKeyLength : ALGORITHMS.xwing.privateKeyLength, what, 'xwing');
  try {
    return await xwingKem().importKey('raw', toArrayBuffer(key), isPublic);
  } catch (cause) {
    throw new XmtpError(WelcomeErrorCodes.invalidKey, `Invalid ${ALGORITHMS.xwing.label} ${what}`, { cause });
  }
}

// ---------------------------------------------------------------------------------------------
// Key pairs

export interface WelcomeWrapperKeyPair {
  readonly algorithm: WelcomeWrapperAlgorithmName;
  /** X-Wing: 1216 bytes (goes in the key package's 0xFF03 WelcomeWrapperEncryption.pub_key). X25519: 32 bytes. */
  readonly publicKey: Uint8Array;
  /** X-Wing: the 32-byte seed. X25519: the 32-byte private scalar. Store this. */
  readonly privateKey: Uint8Array;
}

/** A fresh welcome-wrapper key pair (X-Wing for the key package's 0xFF03 extension). */
export async function generateWelcomeWrapperKeyPair(algorithm: WelcomeWrapperAlgorithmName): Promise<WelcomeWrapperKeyPair> {
  if (checkAlgorithmName(algorithm) === 'curve25519') {
    const { secretKey, publicKey } = await x25519GenerateKeyPair();
    return { algorithm, publicKey, privateKey: secretKey };
  }
  const kem = xwingKem();
  const pair = await kem.generateKeyPair();
  return {
    algorithm,
    publicKey: new Uint8Array(await kem.serializePublicKey(pair.publicKey)),
    privateKey: new Uint8Array(await kem.serializePrivateKey(pair.privateKey)),
  };
}

/** The public key belonging to a stored private key (X-Wing seed or X25519 scalar). */
export async function welcomeWrapperPublicKey(algorithm: WelcomeWrapperAlgorithmName, privateKey: Uint8Array): Promise<Uint8Array> {
  checkAlgorithmName(algorithm);
  checkKey(privateKey, ALGORITHMS[algorithm].privateKeyLength, 'private key', algorithm);
  try {
    if (algorithm === 'xwing') {
      const kem = xwingKem();
      const pair = await (kem as XWing).generateKeyPairDerand(new Uint8Array(privateKey));
      return new Uint8Array(await kem.serializePublicKey(pair.publicKey));
    }
    return await x25519PublicKey(privateKey);
  } catch (cause) {
    throw new XmtpError(WelcomeErrorCodes.invalidKey, `Invalid ${ALGORITHMS[algorithm].label} private key`, { cause });
  }
}

// ---------------------------------------------------------------------------------------------
// TLS HpkeCiphertext

export interface HpkeCiphertext {
  readonly kemOutput: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export function encodeHpkeCiphertext(value: HpkeCiphertext): Uint8Array {
  return concatBytes(encodeVector(value.kemOutput), encodeVector(value.ciphertext));
}

/** Reads one MLS varint-prefixed vector (RFC 9420 §2.1.2, minimal encoding required). */
function readVector(bytes: Uint8Array, at: number): [Uint8Array, number] {
  const first = bytes[at];
  if (first === undefined) throw new RangeError('truncated length');
  const prefix = first >> 6;
  if (prefix === 3) throw new RangeError('invalid varint prefix');
  const size = 1 << prefix;
  if (at + size > bytes.length) throw new RangeError('truncated length');
  let length = first & 0x3f;
  for (let i = 1; i < size; i++) length = length * 256 + bytes[at + i]!;
  const minimal = length < 1 << 6 ? 1 : length < 1 << 14 ? 2 : 4;
  if (size !== minimal) throw new RangeError('non-minimal varint length');
  const start = at + size;
  if (start + length > bytes.length) throw new RangeError(`vector of ${length} bytes overruns the input`);
  return [bytes.subarray(start, start + length), start + length];
}

/** Parses a complete TLS HpkeCiphertext (every byte consumed, like tls_codec `deserialize_exact`). */
export function decodeHpkeCiphertext(bytes: Uint8Array): HpkeCiphertext {
  try {
    const [kemOutput, mid] = readVector(bytes, 0);
    const [ciphertext, end] = readVector(bytes, mid);
    if (end !== bytes.length) throw new RangeError(`${bytes.length - end} trailing bytes`);
    return { kemOutput, ciphertext };
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new XmtpError(WelcomeErrorCodes.malformed, `Wrapped welcome is not a TLS HpkeCiphertext: ${why}`, { cause });
  }
}

// ---------------------------------------------------------------------------------------------
// Core seal/open (one context, several messages in order)

async function sealAll(
  algorithm: WelcomeWrapperAlgorithmName,
  recipientPublicKey: Uint8Array,
  plaintexts: readonly Uint8Array[],
): Promise<{ enc: Uint8Array; ciphertexts: Uint8Array[] }> {
  checkKey(recipientPublicKey, ALGORITHMS[algorithm].publicKeyLength, 'public key', algorithm);
  const pk = algorithm === 'xwing' ? await importXWingKey(recipientPublicKey, true) : undefined;
  try {
    let ctx: HpkeContext;
    if (pk) {
      const { sharedSecret, enc } = await xwingKem().encap({ recipientPublicKey: pk });
      ctx = hpkeContext(XWING_DRAFT06_OBSOLETE_KEM_ID, new Uint8Array(sharedSecret), new Uint8Array(enc), WELCOME_HPKE_INFO);
    } else {
      ctx = await hpkeSetupSender(recipientPublicKey, WELCOME_HPKE_INFO);
    }
    return { enc: ctx.enc, ciphertexts: plaintexts.map((pt) => ctx.seal(pt, EMPTY)) };
  } catch (cause) {
    throw new XmtpError(WelcomeErrorCodes.wrapFailed, `HPKE seal (${ALGORITHMS[algorithm].label}) failed`, { cause });
  }
}

async function openAll(
  algorithm: WelcomeWrapperAlgorithmName,
  privateKey: Uint8Array,
  wrapped: Uint8Array,
  more: readonly { readonly ciphertext: Uint8Array; readonly what: string }[],
  what: string,
): Promise<Uint8Array[]> {
  checkKey(privateKey, ALGORITHMS[algorithm].privateKeyLength, 'private key', algorithm);
  const sk = algorithm === 'xwing' ? await importXWingKey(privateKey, false) : undefined;
  const { kemOutput, ciphertext } = decodeHpkeCiphertext(wrapped);
  const expectedEnc = ALGORITHMS[algorithm].encLength;
  if (kemOutput.length !== expectedEnc) {
    throw new XmtpError(
      WelcomeErrorCodes.decryptFailed,
      `Cannot decrypt ${what}: kem_output is ${kemOutput.length} bytes but ${ALGORITHMS[algorithm].label} uses ${expectedEnc} (wrapped with another algorithm?)`,
    );
  }
  let ctx: HpkeContext;
  try {
    if (sk) {
      const sharedSecret = new Uint8Array(await xwingKem().decap({ enc: toArrayBuffer(kemOutput), recipientKey: sk }));
      ctx = hpkeContext(XWING_DRAFT06_OBSOLETE_KEM_ID, sharedSecret, kemOutput, WELCOME_HPKE_INFO);
    } else {
      ctx = await hpkeSetupReceiver(privateKey, kemOutput, WELCOME_HPKE_INFO);
    }
  } catch (cause) {
    throw new XmtpError(WelcomeErrorCodes.decryptFailed, `Cannot decrypt ${what}: HPKE decapsulation failed`, { cause });
  }
  const out: Uint8Array[] = [];
  const parts = [{ ciphertext, what }, ...more];
  for (const part of parts) {
    try {
      out.push(ctx.open(part.ciphertext, EMPTY));
    } catch (cause) {
      throw new XmtpError(
        WelcomeErrorCodes.decryptFailed,
        `Cannot decrypt ${part.what} (${ALGORITHMS[algorithm].label}): wrong key, wrong algorithm or tampered data`,
        { cause },
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// V1 welcomes

export interface WrapWelcomeInput {
  /** TLS MlsMessage (version, wire_format mls_welcome, Welcome). */
  readonly welcome: Uint8Array;
  /** WelcomeMetadata protobuf bytes. Absent or empty: no second seal and an empty `welcomeMetadata`. */
  readonly metadata?: Uint8Array;
  /** X-Wing: the key package's 0xFF03 pub_key (1216 bytes). Curve25519: the key package's init_key. */
  readonly recipientPublicKey: Uint8Array;
  readonly algorithm: WelcomeWrapperAlgorithmName;
}

export interface WrappedWelcome {
  /** WelcomeMessageInput.V1.data: TLS HpkeCiphertext of seal #0 (the welcome). */
  readonly data: Uint8Array;
  /** WelcomeMessageInput.V1.welcome_metadata: raw ciphertext of seal #1, or empty. */
  readonly welcomeMetadata: Uint8Array;
}

export async function wrapWelcome(input: WrapWelcomeInput): Promise<WrappedWelcome> {
  const algorithm = checkAlgorithmName(input.algorithm);
  if (!(input.welcome instanceof Uint8Array) || input.welcome.length === 0) {
    throw new XmtpError(ErrorCodes.invalidRequest, 'wrapWelcome needs the welcome MlsMessage bytes');
  }
  const metadata = input.metadata ?? EMPTY;
  const plaintexts = metadata.length > 0 ? [input.welcome, metadata] : [input.welcome];
  const { enc, ciphertexts } = await sealAll(algorithm, input.recipientPublicKey, plaintexts);
  return {
    data: encodeHpkeCiphertext({ kemOutput: enc, ciphertext: ciphertexts[0]! }),
    welcomeMetadata: ciphertexts[1] ?? new Uint8Array(0),
  };
}

export interface UnwrapWelcomeInput {
  readonly data: Uint8Array;
  /** The received welcome_metadata; empty or absent means none. */
  readonly welcomeMetadata?: Uint8Array;
  /** The wire `wrapper_algorithm` (see `wrapperAlgorithmFromWire`) or an algorithm name. */
  readonly algorithm: WelcomeWrapperAlgorithm | number | WelcomeWrapperAlgorithmName;
  /** X-Wing: the 32-byte seed. Curve25519: the key package's 32-byte init private key. */
  readonly privateKey: Uint8Array;
}

export interface UnwrappedWelcome {
  /** TLS MlsMessage bytes; the caller checks it is a Welcome. */
  readonly welcome: Uint8Array;
  /** WelcomeMetadata protobuf bytes, when the sender sent any (non-empty). */
  readonly metadata?: Uint8Array;
}

export async function unwrapWelcome(input: UnwrapWelcomeInput): Promise<UnwrappedWelcome> {
  const algorithm = typeof input.algorithm === 'number' ? wrapperAlgorithmFromWire(input.algorithm) : checkAlgorithmName(input.algorithm);
  const wrappedMetadata = input.welcomeMetadata ?? EMPTY;
  const more = wrappedMetadata.length > 0 ? [{ ciphertext: wrappedMetadata, what: 'welcome metadata' }] : [];
  const [welcome, metadata] = await openAll(algorithm, input.privateKey, input.data, more, 'welcome');
  // libxmtp seals an empty WelcomeMetadata (cursor 0) as a 16-byte tag; like libxmtp, empty means none.
  return metadata === undefined || metadata.length === 0 ? { welcome: welcome! } : { welcome: welcome!, metadata };
}

/** The WelcomeMetadata libxmtp sends: the node id/cursor of the commit that added the recipient. */
export function encodeWelcomeMetadata(messageCursor: bigint): Uint8Array {
  return toBinary(WelcomeMetadataSchema, create(WelcomeMetadataSchema, { messageCursor }));
}

export function decodeWelcomeMetadata(bytes: Uint8Array): { readonly messageCursor: bigint } {
  try {
    return { messageCursor: fromBinary(WelcomeMetadataSchema, bytes).messageCursor };
  } catch (cause) {
    throw new XmtpError(WelcomeErrorCodes.invalidMetadata, 'Welcome metadata is not a WelcomeMetadata protobuf', { cause });
  }
}

// ---------------------------------------------------------------------------------------------
// Welcome pointers

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

export interface WelcomePointee {
  /** Publish this (as WelcomeMessageInput.v1) on the topic `pointee.installationKey` (= the destination). */
  readonly pointee: WelcomeMessageInput_V1;
  /** The secret pointer to send, HPKE-wrapped (`wrapWelcomePointer`), to each capable installation. */
  readonly pointer: WelcomePointer;
}

/**
 * Encrypts one welcome for many installations (libxmtp `send_welcomes` when more than 2 recipients
 * advertise 0xFF04): a random 32-byte destination topic, a random 32-byte ChaCha20-Poly1305 key and
 * two distinct random 12-byte nonces; aad empty. The metadata is always sealed (as empty bytes when
 * absent), because libxmtp's pointee reader decrypts `welcome_metadata` unconditionally.
 */
export function createWelcomePointee(input: { readonly welcome: Uint8Array; readonly metadata?: Uint8Array }): WelcomePointee {
  if (!(input.welcome instanceof Uint8Array) || input.welcome.length === 0) {
    throw new XmtpError(ErrorCodes.invalidRequest, 'createWelcomePointee needs the welcome MlsMessage bytes');
  }
  const destination = randomBytes(POINTER_DESTINATION_LENGTH);
  const key = randomBytes(POINTEE_KEY_LENGTH);
  const dataNonce = randomBytes(POINTEE_NONCE_LENGTH);
  let metadataNonce = randomBytes(POINTEE_NONCE_LENGTH);
  while (bytesEqual(metadataNonce, dataNonce)) metadataNonce = randomBytes(POINTEE_NONCE_LENGTH);

  const pointee = create(WelcomeMessageInput_V1Schema, {
    installationKey: destination,
    data: chacha20poly1305(key, dataNonce, EMPTY).encrypt(input.welcome),
    hpkePublicKey: new Uint8Array(0),
    wrapperAlgorithm: WelcomeWrapperAlgorithm.SYMMETRIC_KEY,
    welcomeMetadata: chacha20poly1305(key, metadataNonce, EMPTY).encrypt(input.metadata ?? EMPTY),
  });
  const pointer = create(WelcomePointerSchema, {
    version: {
      case: 'welcomeV1Pointer',
      value: create(WelcomePointer_WelcomeV1PointerSchema, {
        destination,
        aeadType: WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305,
        encryptionKey: key,
        dataNonce,
        welcomeMetadataNonce: metadataNonce,
      }),
    },
  });
  return { pointee, pointer };
}

/**
 * HPKE-wraps a WelcomePointer for one installation: the same suite, info and aad as a welcome, the
 * protobuf as seal #0, output the TLS HpkeCiphertext (WelcomeMessageInput.WelcomePointer
 * .welcome_pointer). X-Wing only: the pointer's wrapper_algorithm enum has no other value.
 */
export async function wrapWelcomePointer(pointer: WelcomePointer, recipientPublicKey: Uint8Array): Promise<Uint8Array> {
  checkPointer(pointer);
  const { enc, ciphertexts } = await sealAll('xwing', recipientPublicKey, [toBinary(WelcomePointerSchema, pointer)]);
  return encodeHpkeCiphertext({ kemOutput: enc, ciphertext: ciphertexts[0]! });
}

export interface UnwrapWelcomePointerInput {
  /** WelcomeMessage.WelcomePointer.welcome_pointer. */
  readonly welcomePointer: Uint8Array;
  /** WelcomeMessage.WelcomePointer.wrapper_algorithm: must be XWING_MLKEM_768_DRAFT_6 (2). */
  readonly algorithm: WelcomePointerWrapperAlgorithm | number;
  /** The 32-byte X-Wing seed. */
  readonly privateKey: Uint8Array;
}

export async function unwrapWelcomePointer(input: UnwrapWelcomePointerInput): Promise<WelcomePointer_WelcomeV1Pointer> {
  if (input.algorithm !== WelcomePointerWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6) {
    throw new XmtpError(
      WelcomeErrorCodes.invalidAlgorithm,
      `Welcome pointer wrapper algorithm ${input.algorithm} is not XWING_MLKEM_768_DRAFT_6 (2)`,
    );
  }
  const [plaintext] = await openAll('xwing', input.privateKey, input.welcomePointer, [], 'welcome pointer');
  let pointer: WelcomePointer;
  try {
    pointer = fromBinary(WelcomePointerSchema, plaintext!);
  } catch (cause) {
    throw new XmtpError(WelcomeErrorCodes.invalidPointer, 'Decrypted welcome pointer is not a WelcomePointer protobuf', { cause });
  }
  return checkPointer(pointer);
}

function checkPointer(pointer: WelcomePointer | WelcomePointer_WelcomeV1Pointer): WelcomePointer_WelcomeV1Pointer {
  let v1: WelcomePointer_WelcomeV1Pointer;
  if ('version' in pointer) {
    if (pointer.version.case !== 'welcomeV1Pointer') {
      throw new XmtpError(WelcomeErrorCodes.invalidPointer, 'Welcome pointer has no WelcomeV1Pointer');
    }
    v1 = pointer.version.value;
  } else {
    v1 = pointer;
  }
  const bad = (why: string) => new XmtpError(WelcomeErrorCodes.invalidPointer, `Invalid welcome pointer: ${why}`);
  if (v1.aeadType !== WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305) {
    throw bad(`aead_type ${v1.aeadType} is not CHACHA20_POLY1305 (3)`);
  }
  if (v1.destination.length !== POINTER_DESTINATION_LENGTH) throw bad(`destination is ${v1.destination.length} bytes, expected 32`);
  if (v1.encryptionKey.length !== POINTEE_KEY_LENGTH) throw bad(`encryption_key is ${v1.encryptionKey.length} bytes, expected 32`);
  if (v1.dataNonce.length !== POINTEE_NONCE_LENGTH) throw bad(`data_nonce is ${v1.dataNonce.length} bytes, expected 12`);
  if (v1.welcomeMetadataNonce.length !== POINTEE_NONCE_LENGTH) {
    throw bad(`welcome_metadata_nonce is ${v1.welcomeMetadataNonce.length} bytes, expected 12`);
  }
  return v1;
}

/** The fields of a stored pointee (WelcomeMessage.V1 or WelcomeMessageInput.V1) this needs. */
export interface PointeeFields {
  readonly data: Uint8Array;
  readonly welcomeMetadata: Uint8Array;
  readonly wrapperAlgorithm: WelcomeWrapperAlgorithm | number;
}

/**
 * Decrypts the pointee found at the pointer's destination (the first V1 message on that topic).
 * An empty `welcome_metadata`, or one that decrypts to empty bytes, gives no metadata.
 */
export function openWelcomePointee(pointee: PointeeFields, pointer: WelcomePointer | WelcomePointer_WelcomeV1Pointer): UnwrappedWelcome {
  const v1 = checkPointer(pointer);
  if (pointee.wrapperAlgorithm !== WelcomeWrapperAlgorithm.SYMMETRIC_KEY) {
    throw new XmtpError(
      WelcomeErrorCodes.invalidPointee,
      `Welcome pointee has wrapper algorithm ${pointee.wrapperAlgorithm}, expected SYMMETRIC_KEY (3)`,
    );
  }
  const open = (ciphertext: Uint8Array, nonce: Uint8Array, what: string): Uint8Array => {
    try {
      return chacha20poly1305(v1.encryptionKey, nonce, EMPTY).decrypt(ciphertext);
    } catch (cause) {
      throw new XmtpError(WelcomeErrorCodes.decryptFailed, `Cannot decrypt ${what}: wrong pointer or tampered data`, { cause });
    }
  };
  const welcome = open(pointee.data, v1.dataNonce, 'welcome pointee');
  if (pointee.welcomeMetadata.length === 0) return { welcome };
  const metadata = open(pointee.welcomeMetadata, v1.welcomeMetadataNonce, 'welcome pointee metadata');
  return metadata.length === 0 ? { welcome } : { welcome, metadata };
}
