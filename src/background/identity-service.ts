/**
 * The background's identity service: creates this browser's XMTP identity (a wallet key, an
 * installation key, the inbox registration and a key package) and reports it. Runs in the service
 * worker (and in Node tests); it talks to the world only through the injected `Store` and `fetch`.
 *
 * DEVELOPMENT / TEST PATH: `create` generates the wallet's private key itself (viem
 * `generatePrivateKey`) and keeps it in the store, because the wallet-linking UI (signing with the
 * user's own wallet or passkey) does not exist yet. A real user's wallet key will never be held here.
 *
 * Guarantees:
 * - secrets never leave this service: callers get ids only (`IdentitySummary`);
 * - persist first: every key is written to the store before the first network request, and the
 *   record is marked `registered` only after the key package upload and the inbox registration both
 *   succeeded. A worker killed in between resumes with the same keys on the next `create` (both
 *   node calls are idempotent for the same keys), so no orphaned installation is ever created;
 * - calls within one worker are serialized, so two concurrent `create`s cannot race;
 * - a node that cannot be reached fails with `node.unreachable` (retryable) naming its URL; any other
 *   refusal from the node with `node.request_failed`.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createXmtpApi, type XmtpApi } from '../protocol/delivery/create-xmtp-api.js';
import { XmtpError } from '../protocol/errors.js';
import { createEoaSigner } from '../protocol/identity/create-eoa-signer.js';
import { createInstallationSigner } from '../protocol/identity/create-installation-signer.js';
import { toInstallationId } from '../protocol/identity/identifiers.js';
import { DEFAULT_INBOX_NONCE } from '../protocol/identity/inbox-id.js';
import { inboxIdOf } from '../protocol/identity/member-id.js';
import { registerInbox } from '../protocol/identity/register-inbox.js';
import { createXmtpKeyPackage, encodeKeyPackageSecrets } from '../protocol/mls/create-key-package.js';
import { generateWelcomeWrapperKeyPair } from '../protocol/mls/welcome-wrapper.js';
import type { Store } from '../protocol/storage/store.js';
import type { IdentitySummary } from '../messaging/popup-protocol.js';

export const IdentityServiceErrorCodes = {
  /** An identity is already registered in this browser profile. */
  exists: 'identity.already_exists',
  /** The node did not answer (connection refused, DNS, CORS, not a gRPC-web endpoint). */
  nodeUnreachable: 'node.unreachable',
  /** The node answered with an error. */
  nodeRequestFailed: 'node.request_failed',
  /** The stored identity record cannot be read. */
  corrupt: 'identity.corrupt_record',
} as const;

const TABLE = 'identity';
const KEY = 'current';
const RECORD_VERSION = 1;

/**
 * The stored identity. Secrets in the clear: see src/keystore/storage-area-store.ts (unencrypted
 * until the keystore issue).
 */
type IdentityRecord = {
  readonly version: number;
  readonly status: 'pending' | 'registered';
  /** The node URL the identity is registered on. */
  readonly network: string;
  readonly address: string;
  readonly inboxId: string;
  /** DEVELOPMENT ONLY: the generated wallet's secp256k1 private key (32 bytes). */
  readonly walletPrivateKey: Uint8Array;
  /** The installation's Ed25519 secret key (32-byte seed). */
  readonly installationSecretKey: Uint8Array;
  /** Its public key: the installation id. */
  readonly installationPublicKey: Uint8Array;
  /** The X-Wing welcome-wrapper private key (32-byte seed) whose public key is in the key package. */
  readonly welcomeWrapperPrivateKey: Uint8Array;
  readonly keyPackage: {
    readonly tls: Uint8Array;
    /** `encodeKeyPackageSecrets` bytes (init and leaf encryption private keys). */
    readonly secrets: Uint8Array;
    readonly notBefore: number;
    readonly notAfter: number;
    /** Unix seconds of the successful upload; null while pending. */
    readonly uploadedAt: number | null;
  };
  readonly createdAt: number;
};

export interface IdentityServiceDeps {
  readonly store: Store;
  /** Defaults to the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
  /** Unix milliseconds (defaults to Date.now). */
  readonly now?: () => number;
}

export interface CreateIdentityParameters {
  /** The node URL (or network name) to register on. */
  readonly network: string;
}

export interface IdentityService {
  create(params: CreateIdentityParameters): Promise<IdentitySummary>;
  get(): Promise<IdentitySummary | null>;
}

export function createIdentityService(deps: IdentityServiceDeps): IdentityService {
  const now = deps.now ?? Date.now;
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const load = async (): Promise<IdentityRecord | undefined> => {
    const record = await deps.store.get<IdentityRecord>(TABLE, KEY);
    if (record !== undefined && (record.version !== RECORD_VERSION || typeof record.inboxId !== 'string')) {
      throw new XmtpError(IdentityServiceErrorCodes.corrupt, 'The stored identity has an unknown format');
    }
    return record;
  };

  return {
    get: () => serialized(async () => {
      const record = await load();
      return record?.status === 'registered' ? summary(record) : null;
    }),

    create: ({ network }) => serialized(async () => {
      const api = createXmtpApi({ node: network, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
      const existing = await load();
      if (existing?.status === 'registered') {
        throw new XmtpError(
          IdentityServiceErrorCodes.exists,
          `An identity is already registered here (inbox ${existing.inboxId} on ${existing.network})`,
        );
      }
      // Resume a creation interrupted on the same node with the same keys; otherwise start afresh
      // (a pending record for another node was never completed there, and holds no user data).
      const record = existing && existing.network === api.baseUrl ? existing : await newRecord(api.baseUrl, now());
      if (record !== existing) await deps.store.put(TABLE, KEY, record); // persist before any request

      // libxmtp's order: the key package first, so the installation is reachable as soon as it is in the inbox.
      await callNode(api, 'upload the key package', () =>
        api.mls.uploadKeyPackage({ keyPackage: { keyPackageTlsSerialized: record.keyPackage.tls }, isInboxIdCredential: true }),
      );
      const walletAccount = privateKeyToAccount(`0x${bytesToHex(record.walletPrivateKey)}`);
      const registered = await callNode(api, 'register the inbox', () =>
        registerInbox({
          api: api.identity,
          identity: createEoaSigner({ account: walletAccount }),
          installation: createInstallationSigner({ secretKey: record.installationSecretKey }),
        }),
      );
      if (registered.inboxId !== record.inboxId) {
        // Only possible if the wallet already had an inbox under another nonce; our key package names the derived one.
        throw new XmtpError(
          IdentityServiceErrorCodes.nodeRequestFailed,
          `The node resolved the wallet to inbox ${registered.inboxId}, expected ${record.inboxId}`,
        );
      }
      const done: IdentityRecord = {
        ...record,
        status: 'registered',
        keyPackage: { ...record.keyPackage, uploadedAt: Math.floor(now() / 1000) },
      };
      await deps.store.put(TABLE, KEY, done);
      return summary(done);
    }),
  };
}

async function newRecord(network: string, nowMs: number): Promise<IdentityRecord> {
  // DEVELOPMENT / TEST PATH: a generated wallet key stands in for the user's wallet until wallet linking exists.
  const walletPrivateKey = hexToBytes(generatePrivateKey().slice(2));
  const address = privateKeyToAccount(`0x${bytesToHex(walletPrivateKey)}`).address.toLowerCase();
  const inboxId = inboxIdOf({ kind: 'ethereum', address }, DEFAULT_INBOX_NONCE);
  const installationSecretKey = crypto.getRandomValues(new Uint8Array(32)); // Ed25519 seed from WebCrypto's CSPRNG
  const installation = createInstallationSigner({ secretKey: installationSecretKey });
  const welcomeWrapper = await generateWelcomeWrapperKeyPair('xwing');
  const kp = await createXmtpKeyPackage({
    inboxId,
    installationSecretKey,
    welcomeWrapperPublicKey: welcomeWrapper.publicKey,
    now: Math.floor(nowMs / 1000),
  });
  return {
    version: RECORD_VERSION,
    status: 'pending',
    network,
    address,
    inboxId,
    walletPrivateKey,
    installationSecretKey,
    installationPublicKey: installation.identifier.key,
    welcomeWrapperPrivateKey: welcomeWrapper.privateKey,
    keyPackage: {
      tls: kp.keyPackage,
      secrets: encodeKeyPackageSecrets(kp.secrets),
      notBefore: kp.notBefore,
      notAfter: kp.notAfter,
      uploadedAt: null,
    },
    createdAt: nowMs,
  };
}

function summary(record: IdentityRecord): IdentitySummary {
  return {
    inboxId: record.inboxId,
    address: record.address,
    installationId: toInstallationId(record.installationPublicKey),
    network: record.network,
  };
}

/** Runs one node call, turning transport failures into typed errors that name the node. */
async function callNode<T>(api: XmtpApi, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof XmtpError) throw error;
    if (error instanceof ConnectError && isUnreachable(error)) {
      throw new XmtpError(IdentityServiceErrorCodes.nodeUnreachable, `could not reach the XMTP node at ${api.baseUrl} (${error.rawMessage})`, {
        retryable: true,
        cause: error,
      });
    }
    const message = error instanceof ConnectError ? `${Code[error.code]}: ${error.rawMessage}` : String(error);
    throw new XmtpError(IdentityServiceErrorCodes.nodeRequestFailed, `The XMTP node at ${api.baseUrl} refused to ${what}: ${message}`, {
      retryable: error instanceof ConnectError && (error.code === Code.ResourceExhausted || error.code === Code.DeadlineExceeded),
      cause: error,
    });
  }
}

function isUnreachable(error: ConnectError): boolean {
  // fetch() itself failed (TypeError: connection refused, DNS, CORS), or the answer was not gRPC-web.
  return error.code === Code.Unavailable || error.cause instanceof TypeError || (error.code === Code.Unknown && /fetch/i.test(error.rawMessage));
}
