/**
 * The background's identity service: creates this browser's XMTP identity (a wallet key, an
 * installation key, the inbox registration and a key package, through `createClient` in
 * src/protocol/client.ts) and reports it, and hands the conversation service the `XmtpClient` over
 * that identity (`client()`). Runs in the service
 * worker (and in Node tests); it talks to the world only through the injected `Store` and `fetch`.
 *
 * DEVELOPMENT / TEST PATH: `create` generates the wallet's private key itself (viem
 * `generatePrivateKey`) and keeps it in the store, because the wallet-linking UI (signing with the
 * user's own wallet or passkey) does not exist yet. A real user's wallet key will never be held here.
 *
 * Guarantees:
 * - secrets never leave the background: the popup gets ids only (`IdentitySummary`);
 * - persist first: every key is written to the store before the first network request, and the
 *   record is marked `registered` only after the key package upload and the inbox registration both
 *   succeeded. A worker killed in between resumes with the same wallet and installation keys on the
 *   next `create` (it uploads a fresh key package, keeping the earlier one's secrets; registration
 *   is idempotent), so no orphaned installation is ever created;
 * - calls within one worker are serialized, so two concurrent `create`s cannot race;
 * - a node that cannot be reached fails with `node.unreachable` (retryable) naming its URL; any other
 *   refusal from the node with `node.request_failed`.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ClientTables, createClient, openClient, type XmtpClient } from '../protocol/client.js';
import { KEY_PACKAGE_ROTATION_KEY } from '../protocol/key-package-rotation.js';
import { createXmtpApi, type XmtpApi } from '../protocol/delivery/create-xmtp-api.js';
import { XmtpError } from '../protocol/errors.js';
import { createEoaSigner } from '../protocol/identity/create-eoa-signer.js';
import { toInstallationId } from '../protocol/identity/identifiers.js';
import { DEFAULT_INBOX_NONCE } from '../protocol/identity/inbox-id.js';
import { inboxIdOf } from '../protocol/identity/member-id.js';
import type { Store } from '../protocol/storage/store.js';
import type { IdentitySummary } from '../messaging/popup-protocol.js';

export const IdentityServiceErrorCodes = {
  /** An identity is already registered in this browser profile. */
  exists: 'identity.already_exists',
  /** The node did not answer (connection refused, DNS, CORS, not a gRPC-web endpoint). */
  nodeUnreachable: 'node.unreachable',
  /** The node answered with an error. */
  nodeRequestFailed: 'node.request_failed',
  /** No identity is registered here yet. */
  notFound: 'identity.not_found',
  /** The stored identity record cannot be read. */
  corrupt: 'identity.corrupt_record',
} as const;

const TABLE = 'identity';
const KEY = 'current';
/** 2: the installation lives in the client's tables (version 1 kept it here; a v1 record is unreadable). */
const RECORD_VERSION = 2;

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
  /**
   * The installation's Ed25519 public key (the installation id); null while pending. The
   * installation's secret key, HMAC root key and key-package secrets live in the XMTP client's
   * tables (`client`, `keyPackages`: src/protocol/client.ts), written there before any request.
   */
  readonly installationPublicKey: Uint8Array | null;
  /** Unix milliseconds of the successful registration; null while pending. */
  readonly registeredAt: number | null;
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
  /**
   * The XMTP client over the registered identity (one per worker: it holds the per-group locks).
   * Fails with `identity.not_found` before `create`.
   */
  client(): Promise<XmtpClient>;
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

  let cached: { readonly network: string; readonly client: Promise<XmtpClient> } | undefined;

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
      const record = existing && existing.network === api.baseUrl ? existing : newRecord(api.baseUrl, now());
      if (record !== existing) {
        // A fresh identity: drop any installation left by an abandoned creation for another node.
        await resetClientTables(deps.store);
        await deps.store.put(TABLE, KEY, record); // persist before any request
      }

      // createClient (src/protocol/client.ts) persists the installation key, then each key
      // package's secrets, before the node sees them; then it uploads a key package (libxmtp's
      // order: the installation is reachable as soon as it is in the inbox) and registers the inbox.
      // A resumed creation reuses the stored installation and uploads a fresh key package.
      const walletAccount = privateKeyToAccount(`0x${bytesToHex(record.walletPrivateKey)}`);
      const xmtp = await callNode(api, 'register the installation', () =>
        createClient({ api, store: deps.store, identity: createEoaSigner({ account: walletAccount }) }),
      );
      if (xmtp.inboxId !== record.inboxId) {
        throw new XmtpError(
          IdentityServiceErrorCodes.nodeRequestFailed,
          `The installation belongs to inbox ${xmtp.inboxId}, expected ${record.inboxId}`,
        );
      }
      const done: IdentityRecord = {
        ...record,
        status: 'registered',
        installationPublicKey: xmtp.installation.publicKey,
        registeredAt: now(),
      };
      await deps.store.put(TABLE, KEY, done);
      cached = { network: done.network, client: Promise.resolve(xmtp) };
      return summary(done);
    }),

    client: () => serialized(async () => {
      const record = await load();
      if (record?.status !== 'registered') {
        throw new XmtpError(IdentityServiceErrorCodes.notFound, 'No identity is registered in this browser yet: call identity.create first');
      }
      if (cached?.network !== record.network) {
        const api = createXmtpApi({ node: record.network, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
        const opening = openClient({ api, store: deps.store });
        cached = { network: record.network, client: opening };
        opening.catch(() => {
          if (cached?.client === opening) cached = undefined;
        });
      }
      return cached.client;
    }),
  };
}

function newRecord(network: string, nowMs: number): IdentityRecord {
  // DEVELOPMENT / TEST PATH: a generated wallet key stands in for the user's wallet until wallet linking exists.
  const walletPrivateKey = hexToBytes(generatePrivateKey().slice(2));
  const address = privateKeyToAccount(`0x${bytesToHex(walletPrivateKey)}`).address.toLowerCase();
  const inboxId = inboxIdOf({ kind: 'ethereum', address }, DEFAULT_INBOX_NONCE);
  return {
    version: RECORD_VERSION,
    status: 'pending',
    network,
    address,
    inboxId,
    walletPrivateKey,
    installationPublicKey: null,
    registeredAt: null,
    createdAt: nowMs,
  };
}

/** Removes the XMTP client's installation and key-package secrets (a never-registered installation). */
async function resetClientTables(store: Store): Promise<void> {
  const keyPackages = await store.list(ClientTables.keyPackages);
  await store.transaction((tx) => {
    tx.delete(ClientTables.client, 'installation');
    tx.delete(ClientTables.client, KEY_PACKAGE_ROTATION_KEY);
    for (const { key } of keyPackages) tx.delete(ClientTables.keyPackages, key);
  });
}

function summary(record: IdentityRecord): IdentitySummary {
  if (!record.installationPublicKey) throw new XmtpError(IdentityServiceErrorCodes.corrupt, 'The registered identity has no installation');
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
