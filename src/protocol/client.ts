/**
 * The XMTP client context every conversation action takes (`verbNoun(client, params)`): the node
 * API, the Store, this installation's identity, the content registry, a clock and the MLS context.
 * `createClient` loads or creates the installation, uploads a fresh key package (earlier ones are
 * retired: their secrets are deleted a day later, see key-package-rotation.ts), registers the
 * installation with its inbox, then runs the key-package rotation check. Pure; runs everywhere
 * (WebCrypto only).
 *
 * Store layout written here (table → key → value):
 * - `client` → `installation` → `{ secretKey, inboxId, hmacRootKey }`
 * - `client` → `keyPackageRotation` → the rotation schedule (key-package-rotation.ts)
 * - `keyPackages` → hex SHA-256 of a welcome's `hpke_public_key` → `{ algorithm, wrapperPrivateKey,
 *   keyPackage, secrets, uploadedAtNs, deleteAtNs? }` — written twice for an X-Wing key package: under
 *   the 0xFF03 public key (algorithm xwing) and under the init key (curve25519), since a sender may
 *   use either (interop-findings T6).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { MlsContext } from 'ts-mls';
import type { ContentRegistry } from './content/content-registry.js';
import { createDefaultContentRegistry } from './content/default-codecs.js';
import type { XmtpApi } from './delivery/create-xmtp-api.js';
import { XmtpError } from './errors.js';
import { createInstallationSigner } from './identity/create-installation-signer.js';
import type { IdentitySigner } from './identity/identity-signer.js';
import { DEFAULT_INBOX_NONCE } from './identity/inbox-id.js';
import { inboxIdOf, type PublicIdentifier } from './identity/member-id.js';
import { registerInbox } from './identity/register-inbox.js';
import { rotateKeyPackageIfDue, uploadKeyPackage } from './key-package-rotation.js';
import type { WelcomeWrapperAlgorithmName } from './mls/welcome-wrapper.js';
import { xmtpCiphersuite } from './mls/xmtp-ciphersuite.js';
import { xmtpAuthenticationService } from './conversations/xmtp-authentication-service.js';
import type { Store } from './storage/store.js';

export interface Clock {
  /** Nanoseconds since the Unix epoch. */
  nowNs(): bigint;
}

export const systemClock: Clock = { nowNs: () => BigInt(Date.now()) * 1_000_000n };

export interface XmtpClient {
  readonly api: Pick<XmtpApi, 'mls' | 'identity'>;
  readonly store: Store;
  readonly inboxId: string;
  readonly installation: { readonly secretKey: Uint8Array; readonly publicKey: Uint8Array };
  /** The inbox's 42-byte HMAC root key (`sender_hmac`). */
  readonly hmacRootKey: Uint8Array;
  readonly contentRegistry: ContentRegistry;
  readonly clock: Clock;
  /** ts-mls context: suite 0x0003 (`xmtp-ciphersuite.ts`), the XMTP credential check, lifetimes not validated on receive (as libxmtp joins). */
  readonly mls: MlsContext;
  /** Serialises work per key (a group id): MLS state changes must not interleave. */
  readonly lock: <T>(key: string, work: () => Promise<T>) => Promise<T>;
}

export const ClientTables = {
  client: 'client',
  keyPackages: 'keyPackages',
} as const;

export interface StoredInstallation {
  readonly secretKey: Uint8Array;
  readonly inboxId: string;
  /** 42 random bytes (libxmtp's per-inbox HMAC root key) for `sender_hmac`. */
  readonly hmacRootKey: Uint8Array;
  readonly [key: string]: Uint8Array | string;
}

export interface StoredKeyPackage {
  readonly algorithm: WelcomeWrapperAlgorithmName;
  /** X-Wing seed, or the KP's init private key for curve25519. */
  readonly wrapperPrivateKey: Uint8Array;
  readonly keyPackage: Uint8Array;
  /** `encodeKeyPackageSecrets` bytes. */
  readonly secrets: Uint8Array;
  readonly uploadedAtNs: bigint;
  /** Set when a newer key package replaced this one: its secrets are deleted from then on. */
  readonly deleteAtNs?: bigint;
  readonly [key: string]: Uint8Array | string | bigint | undefined;
}

export function keyPackageStoreKey(hpkePublicKey: Uint8Array): string {
  return bytesToHex(sha256(hpkePublicKey));
}

export interface CreateClientParameters {
  readonly api: Pick<XmtpApi, 'mls' | 'identity'>;
  readonly store: Store;
  /** The wallet or passkey that owns the inbox; it signs the registration. */
  readonly identity: IdentitySigner & { readonly identifier: PublicIdentifier };
  readonly contentRegistry?: ContentRegistry;
  readonly clock?: Clock;
  /** Skip uploading a new key package when one was uploaded before (default: always upload). */
  readonly reuseKeyPackage?: boolean;
}

export type CreateClientReturnType = XmtpClient;

export async function createClient(params: CreateClientParameters): Promise<CreateClientReturnType> {
  const { api, store } = params;
  const clock = params.clock ?? systemClock;
  let installation = await store.get<StoredInstallation>(ClientTables.client, 'installation');
  if (!installation) {
    installation = {
      secretKey: ed25519.utils.randomSecretKey(),
      inboxId: inboxIdOf(params.identity.identifier, DEFAULT_INBOX_NONCE),
      hmacRootKey: crypto.getRandomValues(new Uint8Array(42)),
    };
    await store.put(ClientTables.client, 'installation', installation);
  }
  const client = await openClient({ api, store, installation, clock, ...(params.contentRegistry ? { contentRegistry: params.contentRegistry } : {}) });

  const existing = await store.list(ClientTables.keyPackages);
  if (!params.reuseKeyPackage || existing.length === 0) await uploadKeyPackage(client);
  const registered = await registerInbox({
    api: api.identity,
    identity: params.identity,
    installation: createInstallationSigner({ secretKey: installation.secretKey }),
    now: () => clock.nowNs(),
  });
  if (registered.inboxId !== installation.inboxId) {
    throw new XmtpError('client.inbox_mismatch', `The identity belongs to inbox ${registered.inboxId}, not ${installation.inboxId}`);
  }
  await rotateKeyPackageIfDue(client); // a reused key package may be due
  return client;
}

function createLock(): XmtpClient['lock'] {
  const tails = new Map<string, Promise<unknown>>();
  return (key, work) => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

/** A client over an installation already in the Store (no network calls). */
export async function openClient(params: {
  readonly api: Pick<XmtpApi, 'mls' | 'identity'>;
  readonly store: Store;
  readonly installation?: StoredInstallation;
  readonly contentRegistry?: ContentRegistry;
  readonly clock?: Clock;
}): Promise<XmtpClient> {
  const installation = params.installation ?? (await params.store.get<StoredInstallation>(ClientTables.client, 'installation'));
  if (!installation) throw new XmtpError('client.not_registered', 'No installation in the store: call createClient first');
  return {
    api: params.api,
    store: params.store,
    inboxId: installation.inboxId,
    installation: { secretKey: installation.secretKey, publicKey: ed25519.getPublicKey(installation.secretKey) },
    hmacRootKey: installation.hmacRootKey,
    contentRegistry: params.contentRegistry ?? createDefaultContentRegistry(),
    clock: params.clock ?? systemClock,
    mls: {
      cipherSuite: xmtpCiphersuite(),
      authService: xmtpAuthenticationService,
    },
    lock: createLock(),
  };
}

/** Uploads a fresh key package and retires the earlier ones (key-package-rotation.ts). */
export { uploadKeyPackage };
