/**
 * This installation's key package over time, on libxmtp 1.10's schedule: upload a fresh one, retire
 * the earlier ones after a grace period, and rotate when due. Pure; runs everywhere (Store, Api, Clock).
 *
 * libxmtp 1.10 (`LX: crates/xmtp_mls/src/identity.rs rotate_and_upload_key_package`,
 * `client.rs register_identity`, `groups/welcome_sync.rs sync_welcomes`,
 * `worker/key_package_cleaner.rs`, `xmtp_db/src/encrypted_store/identity.rs`,
 * `key_package_history.rs`, `xmtp_configuration/src/{common,prod}/mls.rs`):
 * - An upload (registration or rotation) stores the secrets first, then uploads; once the node has
 *   it, every earlier key package is marked for deletion at now + 1 day
 *   (`KEYS_EXPIRATION_INTERVAL_NS`, unless already marked) and the next rotation is set to now +
 *   30 days (`KEY_PACKAGE_ROTATION_INTERVAL_NS`) if none is set or it is due; a rotation queued
 *   meanwhile stays queued. After registration the next rotation is therefore 30 days away.
 * - A welcome sync that received any welcome (joined or not: libxmtp would rather over-rotate)
 *   pulls the next rotation in to now + 5 s (`KEY_PACKAGE_QUEUE_INTERVAL_NS`), never later.
 * - The check (libxmtp's `KeyPackagesCleanerWorker`, every 5 s; here `rotateKeyPackageIfDue`, run by
 *   `syncWelcomes` and `createClient`): delete the expired key packages' secrets, then upload a fresh
 *   key package if now ≥ the next rotation. A welcome to a deleted key package is then refused
 *   (`conversations.welcome_unknown_key_package`).
 *
 * Guarantees: secrets are stored before the node can hand the key package out; marking the earlier
 * key packages and the new schedule are written in one transaction after a successful upload (a
 * failed upload leaves the rotation due, to be retried); the current key package is never deleted;
 * key-package writes are serialised by `client.lock('keyPackages')`.
 *
 * Store layout (table → key → value):
 * - `client` → `keyPackageRotation` → `{ nextRotationNs, currentKeyPackage }` (libxmtp's
 *   `identity.next_key_package_rotation_ns`; `currentKeyPackage` is `keyPackageRef` of the last one
 *   the node accepted). Absent for stores written before rotation: then the next rotation is the
 *   newest stored key package's upload + 30 days (due now if there is none).
 * - `keyPackages` rows (see client.ts) gain `deleteAtNs` once their key package is retired.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ClientTables, keyPackageStoreKey, type StoredKeyPackage, type XmtpClient } from './client.js';
import { XmtpError } from './errors.js';
import {
  createXmtpKeyPackage,
  encodeKeyPackageSecrets,
  KEY_PACKAGE_QUEUE_INTERVAL_SECONDS,
  KEY_PACKAGE_ROTATION_INTERVAL_SECONDS,
} from './mls/create-key-package.js';
import { generateWelcomeWrapperKeyPair } from './mls/welcome-wrapper.js';

const NS_PER_SECOND = 1_000_000_000n;

/** `KEY_PACKAGE_ROTATION_INTERVAL_NS`: 30 days. */
export const KEY_PACKAGE_ROTATION_INTERVAL_NS = BigInt(KEY_PACKAGE_ROTATION_INTERVAL_SECONDS) * NS_PER_SECOND;
/** `KEY_PACKAGE_QUEUE_INTERVAL_NS`: 5 seconds after a welcome sync that received welcomes. */
export const KEY_PACKAGE_QUEUE_INTERVAL_NS = BigInt(KEY_PACKAGE_QUEUE_INTERVAL_SECONDS) * NS_PER_SECOND;
/** `KEYS_EXPIRATION_INTERVAL_NS` (production build): a retired key package's secrets live 1 more day. */
export const KEYS_EXPIRATION_INTERVAL_NS = 24n * 60n * 60n * NS_PER_SECOND;

export const KEY_PACKAGE_ROTATION_KEY = 'keyPackageRotation';

export const KeyPackageRotationErrorCodes = {
  uploadFailed: 'client.key_package_upload_failed',
} as const;

export interface KeyPackageRotation {
  /** Nanoseconds since the Unix epoch at which the next rotation is due. */
  readonly nextRotationNs: bigint;
  /** `keyPackageRef` of the key package the node last accepted from us. */
  readonly currentKeyPackage?: string;
  readonly [key: string]: bigint | string | undefined;
}

/** Identifies a key package among the `keyPackages` rows (both of its rows carry the same bytes). */
export function keyPackageRef(keyPackage: Uint8Array): string {
  return bytesToHex(sha256(keyPackage));
}

/** The rotation schedule (derived from the stored key packages for a store written before rotation). */
export async function getKeyPackageRotation(client: XmtpClient): Promise<KeyPackageRotation> {
  const stored = await client.store.get<KeyPackageRotation>(ClientTables.client, KEY_PACKAGE_ROTATION_KEY);
  if (stored) return stored;
  let newest: StoredKeyPackage | undefined;
  for (const { value } of await client.store.list<StoredKeyPackage>(ClientTables.keyPackages)) {
    if (!newest || value.uploadedAtNs > newest.uploadedAtNs) newest = value;
  }
  if (!newest) return { nextRotationNs: 0n };
  return { nextRotationNs: newest.uploadedAtNs + KEY_PACKAGE_ROTATION_INTERVAL_NS, currentKeyPackage: keyPackageRef(newest.keyPackage) };
}

export interface UploadKeyPackageReturnType {
  readonly keyPackage: Uint8Array;
}

/**
 * Builds a key package with an X-Wing welcome-wrapper key (0xFF03), stores its secrets, uploads it,
 * then retires the earlier key packages and sets the next rotation (libxmtp's
 * `rotate_and_upload_key_package`). Secrets first: a welcome may arrive as soon as the node has it.
 */
export function uploadKeyPackage(client: XmtpClient): Promise<UploadKeyPackageReturnType> {
  return client.lock('keyPackages', () => uploadUnlocked(client));
}

/** Rotates a queued key package: within 5 s, unless one is due sooner (libxmtp's `queue_key_rotation`). */
export function queueKeyPackageRotation(client: XmtpClient): Promise<void> {
  return client.lock('keyPackages', async () => {
    const rotation = await getKeyPackageRotation(client);
    const rotateAtNs = client.clock.nowNs() + KEY_PACKAGE_QUEUE_INTERVAL_NS;
    if (rotation.nextRotationNs <= rotateAtNs) return;
    await client.store.put(ClientTables.client, KEY_PACKAGE_ROTATION_KEY, { ...rotation, nextRotationNs: rotateAtNs });
  });
}

export interface RotateKeyPackageIfDueReturnType {
  /** Whether a fresh key package was uploaded. */
  readonly rotated: boolean;
  /** How many retired key packages had their secrets deleted. */
  readonly deleted: number;
  readonly nextRotationNs: bigint;
}

/**
 * libxmtp's key-package worker tick: deletes the secrets of key packages retired more than a day
 * ago (never the current one), then uploads a fresh key package if the rotation is due. An upload
 * failure throws `client.key_package_upload_failed` (retryable; the rotation stays due).
 */
export function rotateKeyPackageIfDue(client: XmtpClient): Promise<RotateKeyPackageIfDueReturnType> {
  return client.lock('keyPackages', async () => {
    const deleted = await deleteExpiredKeyPackages(client);
    const rotation = await getKeyPackageRotation(client);
    if (client.clock.nowNs() < rotation.nextRotationNs) return { rotated: false, deleted, nextRotationNs: rotation.nextRotationNs };
    try {
      await uploadUnlocked(client);
    } catch (error) {
      throw new XmtpError(KeyPackageRotationErrorCodes.uploadFailed, `Key package rotation failed: ${XmtpError.from(error).message}`, {
        retryable: true,
        cause: error,
      });
    }
    return { rotated: true, deleted, nextRotationNs: (await getKeyPackageRotation(client)).nextRotationNs };
  });
}

async function deleteExpiredKeyPackages(client: XmtpClient): Promise<number> {
  const nowNs = client.clock.nowNs();
  const { currentKeyPackage } = await getKeyPackageRotation(client);
  const expired = (await client.store.list<StoredKeyPackage>(ClientTables.keyPackages)).filter(
    ({ value }) => value.deleteAtNs !== undefined && value.deleteAtNs <= nowNs && keyPackageRef(value.keyPackage) !== currentKeyPackage,
  );
  if (expired.length === 0) return 0;
  await client.store.transaction((tx) => {
    for (const { key } of expired) tx.delete(ClientTables.keyPackages, key);
  });
  return new Set(expired.map(({ value }) => keyPackageRef(value.keyPackage))).size;
}

async function uploadUnlocked(client: XmtpClient): Promise<UploadKeyPackageReturnType> {
  const wrapper = await generateWelcomeWrapperKeyPair('xwing');
  const createdAtNs = client.clock.nowNs();
  const kp = await createXmtpKeyPackage({
    inboxId: client.inboxId,
    installationSecretKey: client.installation.secretKey,
    welcomeWrapperPublicKey: wrapper.publicKey,
    now: Number(createdAtNs / NS_PER_SECOND),
    cipherSuite: client.mls.cipherSuite,
  });
  const secrets = encodeKeyPackageSecrets(kp.secrets);
  await client.store.transaction((tx) => {
    tx.put(ClientTables.keyPackages, keyPackageStoreKey(wrapper.publicKey), {
      algorithm: 'xwing',
      wrapperPrivateKey: wrapper.privateKey,
      keyPackage: kp.keyPackage,
      secrets,
      uploadedAtNs: createdAtNs,
    } satisfies StoredKeyPackage);
    tx.put(ClientTables.keyPackages, keyPackageStoreKey(kp.initKey), {
      algorithm: 'curve25519',
      wrapperPrivateKey: kp.secrets.initPrivateKey,
      keyPackage: kp.keyPackage,
      secrets,
      uploadedAtNs: createdAtNs,
    } satisfies StoredKeyPackage);
  });
  await client.api.mls.uploadKeyPackage({ keyPackage: { keyPackageTlsSerialized: kp.keyPackage }, isInboxIdCredential: true });

  // The node hands out the new one now: retire the earlier ones and reset the schedule, together.
  const nowNs = client.clock.nowNs();
  const current = keyPackageRef(kp.keyPackage);
  const recorded = await client.store.get<KeyPackageRotation>(ClientTables.client, KEY_PACKAGE_ROTATION_KEY);
  const retiring = (await client.store.list<StoredKeyPackage>(ClientTables.keyPackages)).filter(
    ({ value }) => value.deleteAtNs === undefined && keyPackageRef(value.keyPackage) !== current,
  );
  const nextRotationNs =
    recorded === undefined || recorded.nextRotationNs <= nowNs ? nowNs + KEY_PACKAGE_ROTATION_INTERVAL_NS : recorded.nextRotationNs;
  await client.store.transaction((tx) => {
    for (const { key, value } of retiring) {
      tx.put(ClientTables.keyPackages, key, { ...value, deleteAtNs: nowNs + KEYS_EXPIRATION_INTERVAL_NS } satisfies StoredKeyPackage);
    }
    tx.put(ClientTables.client, KEY_PACKAGE_ROTATION_KEY, { nextRotationNs, currentKeyPackage: current } satisfies KeyPackageRotation);
  });
  return { keyPackage: kp.keyPackage };
}
