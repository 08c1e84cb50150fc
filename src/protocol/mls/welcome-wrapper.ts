/**
 * XMTP welcome wrapping: the outer HPKE layer libxmtp puts around an MLS Welcome (and its
 * WelcomeMetadata) before sending it to one installation, and welcome pointers (one symmetric-key
 * "pointee" welcome shared by many installations, each of which gets an HPKE-wrapped pointer to it).
 * Pure; runs everywhere (service worker, Node, page): WebCrypto through @hpke, pure-JS X25519,
 * ML-KEM-768 and ChaCha20-Poly1305.
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
import { CipherSuite, HkdfSha256, type KemInterface } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { XWing } from '@hpke/hybridkem-x-wing';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
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

const suites: Partial<Record<WelcomeWrapperAlgorithmName, CipherSuite>> = {};

function newXWingKem(): KemInterface {
  const kem = new XWing();
  // The suite_id is fixed when the CipherSuite is constructed, so the id must be set first.
  (kem as unknown as { id: number }).id = XWING_DRAFT06_OBSOLETE_KEM_ID;
  return kem;
}

function suiteFor(algorithm: WelcomeWrapperAlgorithmName): CipherSuite {
  let suite = suites[algorithm];
  if (!suite) {
    // Each suite gets its own KDF instance: CipherSuite binds the KDF to its suite_id.
    suite = new CipherSuite({
      kem: algorithm === 'xwing' ? newXWingKem() : new DhkemX25519HkdfSha256(),
      kdf: new HkdfSha256(),
      aead: new Chacha20Poly1305(),
    });
    if (suite.kem.id !== (algorithm === 'xwing' ? XWING_DRAFT06_OBSOLETE_KEM_ID : DHKEM_X25519_KEM_ID)) {
      throw new XmtpError(ErrorCodes.internal, `HPKE suite for ${algorithm} has KEM id 0x${suite.kem.id.toString(16)}`);
    }
    suites[algorithm] = suite;
  }
  return suite;
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

async function importPrivateKey(algorithm: WelcomeWrapperAlgorithmName, privateKey: Uint8Array): Promise<CryptoKey> {
  checkKey(privateKey, ALGORITHMS[algorithm].privateKeyLength, 'private key', algorithm);
  try {
    return await suiteFor(algorithm).kem.importKey('raw', toArrayBuffer(privateKey), false);
  } catch (cause) {
    throw new XmtpError(WelcomeErrorCodes.invalidKey, `Invalid ${ALGORITHMS[algorithm].label} private key`, { cause });
  }
}

async function importPublicKey(algorithm: WelcomeWrapperAlgorithmName, publicKey: Uint8Array): Promise<CryptoKey> {
  checkKey(publicKey, ALGORITHMS[algorithm].publicKeyLength, 'public key', algorithm);
  try {
    return await suiteFor(algorithm).kem.importKey('raw', toArrayBuffer(publicKey), true);
  } catch (cause) {
    throw new XmtpError(WelcomeErrorCodes.invalidKey, `Invalid ${ALGORITHMS[algorithm].label} public key`, { cause });
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
  checkAlgorithmName(algorithm);
  const kem = suiteFor(algorithm).kem;
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
      const pair = await (suiteFor(algorithm).kem as XWing).generateKeyPairDerand(new Uint8Array(privateKey));
      return new Uint8Array(await suiteFor(algorithm).kem.serializePublicKey(pair.publicKey));
    }
    return x25519.getPublicKey(privateKey);
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
  const suite = suiteFor(algorithm);
  const pk = await importPublicKey(algorithm, recipientPublicKey);
  try {
    const ctx = await suite.createSenderContext({ recipientPublicKey: pk, info: WELCOME_HPKE_INFO });
    const ciphertexts: Uint8Array[] = [];
    for (const pt of plaintexts) ciphertexts.push(new Uint8Array(await ctx.seal(pt, EMPTY)));
    return { enc: new Uint8Array(ctx.enc), ciphertexts };
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
  const sk = await importPrivateKey(algorithm, privateKey);
  const { kemOutput, ciphertext } = decodeHpkeCiphertext(wrapped);
  const expectedEnc = ALGORITHMS[algorithm].encLength;
  if (kemOutput.length !== expectedEnc) {
    throw new XmtpError(
      WelcomeErrorCodes.decryptFailed,
      `Cannot decrypt ${what}: kem_output is ${kemOutput.length} bytes but ${ALGORITHMS[algorithm].label} uses ${expectedEnc} (wrapped with another algorithm?)`,
    );
  }
  const suite = suiteFor(algorithm);
  let ctx: Awaited<ReturnType<CipherSuite['createRecipientContext']>>;
  try {
    ctx = await suite.createRecipientContext({ recipientKey: sk, enc: kemOutput, info: WELCOME_HPKE_INFO });
  } catch (cause) {
    throw new XmtpError(WelcomeErrorCodes.decryptFailed, `Cannot decrypt ${what}: HPKE decapsulation failed`, { cause });
  }
  const out: Uint8Array[] = [];
  const parts = [{ ciphertext, what }, ...more];
  for (const part of parts) {
    try {
      out.push(new Uint8Array(await ctx.open(part.ciphertext, EMPTY)));
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
