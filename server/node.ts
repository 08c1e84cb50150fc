/**
 * Composes the local XMTP node: a store, the two services, live-stream hubs and the dual-protocol
 * HTTP server. Node only. `startNode` resolves once the node accepts requests; `close` stops taking
 * requests, ends open streams and closes the store, so every acknowledged write is kept.
 */
import type { SmartContractWalletVerifier } from '../src/protocol/identity/signature-types.js';
import { listenDual } from './http-server.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { createRpcHandler, defaultAllowOrigin } from './rpc-handler.js';
import { createIdentityApi } from './services/identity-api.js';
import { createMlsApi } from './services/mls-api.js';
import { openStore } from './store/open-store.js';
import type { Store, StoredGroupMessage, StoredWelcomeMessage } from './store/store.js';
import { TopicHub } from './topic-hub.js';

export interface NodeOptions {
  /** A SQLite file path, ':memory:', or a postgres:// URL; or an already open store. */
  readonly db: string | Store;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Per-client write limit; undefined = off. */
  readonly rateLimit?: RateLimitOptions;
  readonly allowOrigin?: (origin: string) => boolean;
  /** Chain RPCs for VerifySmartContractWalletSignatures; none: every signature is refused with a clear error. */
  readonly scwVerifier?: SmartContractWalletVerifier;
  /** Unix seconds (tests move time). */
  readonly now?: () => number;
}

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  close(): Promise<void>;
}

export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const store = typeof options.db === 'string' ? await openStore(options.db) : options.db;
  const groupHub = new TopicHub<StoredGroupMessage>();
  const welcomeHub = new TopicHub<StoredWelcomeMessage>();
  const handler = createRpcHandler({
    mlsApi: createMlsApi({ store, groupHub, welcomeHub, now: options.now ?? (() => Date.now() / 1000) }),
    identityApi: createIdentityApi({
      store,
      ...(options.scwVerifier ? { scwVerifier: options.scwVerifier } : {}),
    }),
    allowOrigin: options.allowOrigin ?? defaultAllowOrigin,
    ...(options.rateLimit ? { rateLimiter: new RateLimiter(options.rateLimit) } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  let server;
  try {
    server = await listenDual(handler, { host, port: options.port ?? 0 });
  } catch (e) {
    await store.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`,
    port: server.port,
    store,
    close() {
      closing ??= (async () => {
        groupHub.closeAll();
        welcomeHub.closeAll();
        await server.close();
        await store.close();
      })();
      return closing;
    },
  };
}

