/**
 * The client's connection to an XMTP node: typed MlsApi and IdentityApi clients over gRPC-web
 * (Connect's web transport, built on `fetch`), the protocol browsers use — so the same code runs in
 * the extension's service worker, in a page and in Node (the CLI, tests). Pure; runs everywhere.
 *
 * Networks: the local node (`http://127.0.0.1:5556`, one port for gRPC and gRPC-web), or XMTP's
 * `dev` / `production` gRPC-web endpoints.
 */
import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { IdentityApi } from '../../gen/identity/api/v1/identity_pb.js';
import { MlsApi } from '../../gen/mls/api/v1/mls_pb.js';

export const XMTP_NETWORKS = {
  local: 'http://127.0.0.1:5556',
  dev: 'https://api.dev.xmtp.network:5558',
  production: 'https://api.production.xmtp.network:5558',
} as const;

export type XmtpNetwork = keyof typeof XMTP_NETWORKS;

export interface XmtpApi {
  readonly baseUrl: string;
  readonly mls: Client<typeof MlsApi>;
  readonly identity: Client<typeof IdentityApi>;
}

export interface CreateXmtpApiParameters {
  /** A network name or a node URL. */
  readonly node: XmtpNetwork | string;
  /** Sent as `x-app-version`, as libxmtp does (empty by default). */
  readonly appVersion?: string;
  /** For tests and custom environments; defaults to the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

export function createXmtpApi({ node, appVersion = '', fetch }: CreateXmtpApiParameters): XmtpApi {
  const baseUrl = node in XMTP_NETWORKS ? XMTP_NETWORKS[node as XmtpNetwork] : node;
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) throw new TypeError(`Not a node URL or network name: ${node}`);
  const headers: Interceptor = (next) => (req) => {
    req.header.set('x-app-version', appVersion);
    return next(req);
  };
  const transport = createGrpcWebTransport({
    baseUrl,
    useBinaryFormat: true,
    interceptors: [headers],
    ...(fetch ? { fetch } : {}),
  });
  return { baseUrl, mls: createClient(MlsApi, transport), identity: createClient(IdentityApi, transport) };
}
