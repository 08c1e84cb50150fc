/**
 * Builds an installation's XMTP key package exactly as libxmtp 1.10 does
 * (`LX: crates/xmtp_mls/src/identity.rs XmtpKeyPackageBuilder::build`; xmtp-wire.md §4.1), and says
 * when to rotate it (libxmtp's schedule). Pure; runs everywhere (WebCrypto or noble, `xmtp-ciphersuite.ts`).
 *
 * The key package: MLS 1.0, suite 0x0003, a Basic credential whose identity is the protobuf
 * `MlsCredential { inbox_id }`, the installation's Ed25519 key as the leaf signature key (so the
 * installation id is the leaf `signature_key`), a fresh X25519 init key and leaf encryption key, the
 * leaf ApplicationId = inbox id (with its inner length prefix), libxmtp's capabilities, the OpenMLS
 * default lifetime (now − 1 h … now + 84 days) and the KP extensions in libxmtp's order: last_resort,
 * then 0xFF04 (if `pointerAead`), then 0xFF03 (if a welcome-wrapper key is given).
 *
 * Its secrets (the init and encryption private keys) are returned for joining from a welcome later;
 * the signature key is the installation key the caller already holds.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  encode,
  generateKeyPackageWithKey,
  keyPackageEncoder,
  type CiphersuiteImpl,
  type CustomExtension,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { MlsCredentialSchema } from '../../gen/identity/credential_pb.js';
import { XmtpError } from '../errors.js';
import { XMTP_CIPHER_SUITE } from './key-package.js';
import { xmtpCiphersuite } from './xmtp-ciphersuite.js';
import { concatBytes, decodeVector, encodeVector } from './tls.js';
import {
  BASIC_CREDENTIAL_TYPE,
  applicationIdExtension,
  lastResortExtension,
  welcomePointeeAeadTypesExtension,
  welcomeWrapperEncryptionExtension,
  WelcomeWrapperAlgorithm,
  xmtpLeafCapabilities,
  XWING_PUBLIC_KEY_LENGTH,
} from './xmtp-extensions.js';

export const KeyPackageErrorCodes = {
  invalidParameters: 'mls.invalid_key_package_parameters',
  invalidSecrets: 'mls.invalid_key_package_secrets',
} as const;

/** OpenMLS `Lifetime::default()`: valid from one hour ago … */
export const KEY_PACKAGE_LIFETIME_MARGIN_SECONDS = 60 * 60;
/** … for 84 days (`DEFAULT_KEY_PACKAGE_LIFETIME_SECONDS` = 60·60·24·28·3). */
export const KEY_PACKAGE_LIFETIME_SECONDS = 60 * 60 * 24 * 28 * 3;

export interface CreateXmtpKeyPackageParameters {
  /** The inbox id (64 lowercase hex characters): the credential and the leaf ApplicationId. */
  readonly inboxId: string;
  /** The installation's 32-byte Ed25519 secret key (seed); its public key is the leaf signature key. */
  readonly installationSecretKey: Uint8Array;
  /**
   * An X-Wing (ML-KEM-768 + X25519, draft 6) public key, 1216 bytes: adds 0xFF03 with algorithm
   * XWING_MLKEM_768_DRAFT_6, so welcomes to this KP are X-Wing-wrapped. Without it they are wrapped
   * to the init key with Curve25519.
   */
  readonly welcomeWrapperPublicKey?: Uint8Array;
  /** Adds 0xFF04 [CHACHA20_POLY1305]: this installation can receive welcome pointers. */
  readonly pointerAead?: boolean;
  /** Unix seconds (the lifetime is computed from it). */
  readonly now: number;
  /** Suite 0x0003's implementation (defaults to ts-mls's WebCrypto provider, created once). */
  readonly cipherSuite?: CiphersuiteImpl;
}

/**
 * The private half of a key package, needed to join from a welcome made for it. Both keys are raw
 * 32-byte X25519 secret keys (RFC 7748), as ts-mls exports them and `@hpke/core` imports them
 * (`importKey('raw', …)`). Plain Uint8Arrays: structured-clonable as is, or bytes with
 * `encodeKeyPackageSecrets`.
 */
export interface KeyPackageSecrets {
  /** Secret of the KP `init_key`: opens the Welcome's group secrets, and the CURVE25519 welcome wrapper. */
  readonly initPrivateKey: Uint8Array;
  /** Secret of the leaf `encryption_key` (`hpke_public_key`): this member's leaf key in the tree. */
  readonly encryptionPrivateKey: Uint8Array;
}

export interface CreateXmtpKeyPackageReturnType {
  /** The TLS-serialized KeyPackage, for `UploadKeyPackage` (`key_package_tls_serialized`). */
  readonly keyPackage: Uint8Array;
  /** The same, decoded (ts-mls), e.g. for `joinGroup`. */
  readonly decoded: KeyPackage;
  /** The installation id: the leaf signature key (Ed25519 public key, 32 bytes). */
  readonly installationKey: Uint8Array;
  /** The KP `init_key` (X25519 public key): how libxmtp finds the KP a welcome was made for. */
  readonly initKey: Uint8Array;
  /** How libxmtp will wrap welcomes to this KP, and to which public key (`hpke_public_key` of the welcome). */
  readonly welcomeWrapper: {
    readonly algorithm: WelcomeWrapperAlgorithm.CURVE25519 | WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6;
    readonly publicKey: Uint8Array;
  };
  /** Lifetime, unix seconds. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly secrets: KeyPackageSecrets;
}

function badParameter(message: string): XmtpError {
  return new XmtpError(KeyPackageErrorCodes.invalidParameters, message);
}

export async function createXmtpKeyPackage(params: CreateXmtpKeyPackageParameters): Promise<CreateXmtpKeyPackageReturnType> {
  const { inboxId, installationSecretKey, welcomeWrapperPublicKey, now } = params;
  if (!/^[0-9a-f]{64}$/.test(inboxId)) throw badParameter('inboxId must be 64 lowercase hex characters');
  if (installationSecretKey.length !== 32) throw badParameter(`installationSecretKey must be a 32-byte Ed25519 seed, got ${installationSecretKey.length} bytes`);
  if (welcomeWrapperPublicKey && welcomeWrapperPublicKey.length !== XWING_PUBLIC_KEY_LENGTH) {
    throw badParameter(`welcomeWrapperPublicKey must be a ${XWING_PUBLIC_KEY_LENGTH}-byte X-Wing public key, got ${welcomeWrapperPublicKey.length} bytes`);
  }
  if (!Number.isSafeInteger(now) || now < KEY_PACKAGE_LIFETIME_MARGIN_SECONDS) throw badParameter(`now must be unix seconds (an integer), got ${now}`);

  const cipherSuite = params.cipherSuite ?? xmtpCiphersuite();
  if (cipherSuite.id !== XMTP_CIPHER_SUITE) throw badParameter(`cipherSuite must be 0x0003, got ${cipherSuite.id}`);

  // libxmtp's order: last_resort, 0xFF04 (welcome pointers), 0xFF03 (post-quantum wrapper key).
  const extensions: CustomExtension[] = [lastResortExtension()];
  if (params.pointerAead) extensions.push(welcomePointeeAeadTypesExtension());
  if (welcomeWrapperPublicKey) extensions.push(welcomeWrapperEncryptionExtension(welcomeWrapperPublicKey));

  const installationKey = ed25519.getPublicKey(installationSecretKey);
  const notBefore = now - KEY_PACKAGE_LIFETIME_MARGIN_SECONDS;
  const notAfter = now + KEY_PACKAGE_LIFETIME_SECONDS;
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey({
    credential: {
      credentialType: BASIC_CREDENTIAL_TYPE,
      identity: toBinary(MlsCredentialSchema, create(MlsCredentialSchema, { inboxId })),
    },
    capabilities: xmtpLeafCapabilities(),
    lifetime: { notBefore: BigInt(notBefore), notAfter: BigInt(notAfter) },
    extensions,
    signatureKeyPair: { signKey: installationSecretKey, publicKey: installationKey },
    cipherSuite,
    leafNodeExtensions: [applicationIdExtension(inboxId)],
  });

  const secrets: KeyPackageSecrets = {
    initPrivateKey: privatePackage.initPrivateKey,
    encryptionPrivateKey: privatePackage.hpkePrivateKey,
  };
  checkSecrets(secrets);
  return {
    keyPackage: encode(keyPackageEncoder, publicPackage),
    decoded: publicPackage,
    installationKey,
    initKey: publicPackage.initKey,
    welcomeWrapper: welcomeWrapperPublicKey
      ? { algorithm: WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6, publicKey: welcomeWrapperPublicKey }
      : { algorithm: WelcomeWrapperAlgorithm.CURVE25519, publicKey: publicPackage.initKey },
    notBefore,
    notAfter,
    secrets,
  };
}

/** ts-mls's private key package (for `joinGroup`), from the stored secrets and the installation key. */
export function toPrivateKeyPackage(secrets: KeyPackageSecrets, installationSecretKey: Uint8Array): PrivateKeyPackage {
  checkSecrets(secrets);
  if (installationSecretKey.length !== 32) throw badParameter('installationSecretKey must be a 32-byte Ed25519 seed');
  return { initPrivateKey: secrets.initPrivateKey, hpkePrivateKey: secrets.encryptionPrivateKey, signaturePrivateKey: installationSecretKey };
}

const SECRETS_FORMAT_VERSION = 1;

/**
 * Bytes for storage: `uint8 version = 1; opaque init_private_key<V>; opaque encryption_private_key<V>`
 * (RFC 9420 varint vectors), i.e. `01 20 <32 bytes> 20 <32 bytes>`.
 */
export function encodeKeyPackageSecrets(secrets: KeyPackageSecrets): Uint8Array {
  checkSecrets(secrets);
  return concatBytes(Uint8Array.of(SECRETS_FORMAT_VERSION), encodeVector(secrets.initPrivateKey), encodeVector(secrets.encryptionPrivateKey));
}

export function decodeKeyPackageSecrets(bytes: Uint8Array): KeyPackageSecrets {
  const bad = (why: string) => new XmtpError(KeyPackageErrorCodes.invalidSecrets, `Invalid stored key package secrets: ${why}`);
  if (bytes[0] !== SECRETS_FORMAT_VERSION) throw bad(`unknown format version ${bytes[0] ?? '(empty)'}`);
  const init = decodeVector(bytes, 1);
  const enc = init && decodeVector(bytes, init[1]);
  if (!init || !enc) throw bad('malformed');
  if (enc[1] !== bytes.length) throw bad(`${bytes.length - enc[1]} trailing bytes`);
  const secrets = { initPrivateKey: init[0].slice(), encryptionPrivateKey: enc[0].slice() };
  checkSecrets(secrets);
  return secrets;
}

function checkSecrets(secrets: KeyPackageSecrets): void {
  if (secrets.initPrivateKey.length !== 32 || secrets.encryptionPrivateKey.length !== 32) {
    throw new XmtpError(KeyPackageErrorCodes.invalidSecrets, 'Key package secrets must be 32-byte X25519 secret keys');
  }
}

// ---------- rotation (libxmtp's schedule) ----------

/** `KEY_PACKAGE_ROTATION_INTERVAL_NS`: a key package is replaced 30 days after it was uploaded. */
export const KEY_PACKAGE_ROTATION_INTERVAL_SECONDS = 30 * 24 * 60 * 60;
/** `KEY_PACKAGE_QUEUE_INTERVAL_NS`: after welcomes arrive, rotate within 5 seconds (debounced). */
export const KEY_PACKAGE_QUEUE_INTERVAL_SECONDS = 5;

export interface KeyPackageRotationDueParameters {
  /** Unix seconds. */
  readonly now: number;
  /** Unix seconds when the current key package was uploaded; undefined if none was (yet). */
  readonly uploadedAt: number | undefined;
  /**
   * Unix seconds of the latest welcome sync that received at least one welcome (processed or not),
   * if any. Only one at or after `uploadedAt` counts: it may have used the current key package.
   */
  readonly welcomesReceivedAt?: number | undefined;
}

export interface KeyPackageRotationDueReturnType {
  /** Whether to generate and upload a new key package now. */
  readonly due: boolean;
  /** Unix seconds at which rotation is (or became) due: when to check again. */
  readonly rotateAt: number;
  readonly reason: 'no_key_package' | 'welcome_received' | 'interval';
}

/**
 * libxmtp 1.10's schedule (`identity.rs`, `xmtp_db identity.rs`, `groups/welcome_sync.rs`,
 * `worker/key_package_cleaner.rs`), as a pure function of the facts:
 * - no key package uploaded yet (no rotation scheduled): due now — registration uploads the first;
 * - an upload (registration or rotation) schedules the next rotation 30 days later;
 * - a welcome sync that received any welcome pulls it in to 5 seconds later (the last-resort KP has
 *   been used; libxmtp rotates whether or not the welcome could be processed).
 */
export function keyPackageRotationDue(params: KeyPackageRotationDueParameters): KeyPackageRotationDueReturnType {
  const { now, uploadedAt, welcomesReceivedAt } = params;
  if (uploadedAt === undefined) return { due: true, rotateAt: now, reason: 'no_key_package' };
  let rotateAt = uploadedAt + KEY_PACKAGE_ROTATION_INTERVAL_SECONDS;
  let reason: KeyPackageRotationDueReturnType['reason'] = 'interval';
  if (welcomesReceivedAt !== undefined && welcomesReceivedAt >= uploadedAt) {
    const afterWelcome = welcomesReceivedAt + KEY_PACKAGE_QUEUE_INTERVAL_SECONDS;
    if (afterWelcome < rotateAt) {
      rotateAt = afterWelcome;
      reason = 'welcome_received';
    }
  }
  return { due: now >= rotateAt, rotateAt, reason };
}
