/**
 * The node's HTTP request handler: Connect serving MlsApi and IdentityApi over gRPC (HTTP/2),
 * gRPC-web and Connect (HTTP/1.1), with CORS for browser-extension and local origins, a 25 MiB
 * message limit, per-client write rate limits, and gRPC UNIMPLEMENTED for unknown methods.
 * Node only.
 */
import { Code, ConnectError, cors, createContextKey, createContextValues, type Interceptor, type ServiceImpl } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type http from 'node:http';
import type http2 from 'node:http2';
import { IdentityApi } from '../src/gen/identity/api/v1/identity_pb.js';
import { MlsApi } from '../src/gen/mls/api/v1/mls_pb.js';
import type { RequestHandler } from './http-server.js';
import type { RateLimiter } from './rate-limit.js';

/** libxmtp's GRPC_PAYLOAD_LIMIT. */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

const WRITE_METHODS = new Set(['SendGroupMessages', 'SendWelcomeMessages', 'UploadKeyPackage', 'PublishIdentityUpdate', 'BatchPublishCommitLog']);
const STREAM_PATHS = new Set(['/xmtp.mls.api.v1.MlsApi/SubscribeGroupMessages', '/xmtp.mls.api.v1.MlsApi/SubscribeWelcomeMessages']);

const clientKey = createContextKey<string>('unknown');

export interface RpcHandlerOptions {
  readonly mlsApi: Partial<ServiceImpl<typeof MlsApi>>;
  readonly identityApi: Partial<ServiceImpl<typeof IdentityApi>>;
  readonly rateLimiter?: RateLimiter;
  /** Which browser origins may call the node (CORS). */
  readonly allowOrigin: (origin: string) => boolean;
}

/**
 * Request headers a browser client may send besides gRPC-web's own: XMTP clients identify themselves
 * with `x-app-version` and `x-libxmtp-version` (libxmtp does; so does our client), which makes them
 * non-simple headers the preflight must allow, or the browser refuses the request.
 */
const XMTP_CLIENT_HEADERS = ['X-App-Version', 'X-Libxmtp-Version'];

/** Extension pages and pages served from this machine. */
export function defaultAllowOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    if (['chrome-extension:', 'moz-extension:', 'safari-web-extension:'].includes(url.protocol)) return true;
    return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && ['http:', 'https:'].includes(url.protocol);
  } catch {
    return false;
  }
}

export function createRpcHandler(options: RpcHandlerOptions): RequestHandler {
  const rateLimit: Interceptor = (next) => async (req) => {
    if (options.rateLimiter && WRITE_METHODS.has(req.method.name)) {
      const client = req.contextValues.get(clientKey);
      if (!options.rateLimiter.take(client)) {
        const wait = Math.ceil(options.rateLimiter.retryAfterMs(client) / 1000);
        throw new ConnectError(`rate limit exceeded for ${client}: try again in ${wait} s`, Code.ResourceExhausted);
      }
    }
    return next(req);
  };

  const connect = connectNodeAdapter({
    routes(router) {
      router.service(MlsApi, options.mlsApi);
      router.service(IdentityApi, options.identityApi);
    },
    readMaxBytes: MAX_MESSAGE_BYTES,
    writeMaxBytes: MAX_MESSAGE_BYTES,
    interceptors: [rateLimit],
    contextValues: (req) => createContextValues().set(clientKey, req.socket.remoteAddress ?? 'unknown'),
    fallback: unknownRoute as never,
  });

  return (req, res) => {
    const origin = req.headers.origin;
    if (typeof origin === 'string') {
      if (!options.allowOrigin(origin)) {
        if (req.method === 'OPTIONS') return end(res, 403);
      } else {
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('vary', 'Origin');
        res.setHeader('access-control-expose-headers', cors.exposedHeaders.join(', '));
        if (req.method === 'OPTIONS') {
          res.setHeader('access-control-allow-methods', cors.allowedMethods.join(', '));
          res.setHeader('access-control-allow-headers', [...cors.allowedHeaders, ...XMTP_CLIENT_HEADERS].join(', '));
          res.setHeader('access-control-max-age', '7200');
          return end(res, 204);
        }
      }
    }
    if (isGrpc(req) && STREAM_PATHS.has(req.url ?? '')) sendHeadersNow(res as http2.Http2ServerResponse);
    connect(req as never, res as never);
  };
}

function isGrpc(req: http.IncomingMessage | http2.Http2ServerRequest): boolean {
  const type = req.headers['content-type'] ?? '';
  return req.httpVersionMajor === 2 && /^application\/grpc(\+proto)?$/.test(type);
}

/**
 * tonic clients (libxmtp) wait for a stream's response headers before they consider it open, but
 * Connect sends them with the first message. Send them at once, as xmtp-node-go does; what Connect
 * later puts in headers (a trailers-only error status) is sent as trailers instead.
 */
function sendHeadersNow(res: http2.Http2ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-accept-encoding': 'gzip', subscribed: 'true' });
  (res as unknown as { flushHeaders?: () => void }).flushHeaders?.();
  const writeHead = (_status: number, headers?: http.OutgoingHttpHeaders) => {
    const status = headers?.['grpc-status'];
    if (status !== undefined) {
      const trailers: http.OutgoingHttpHeaders = { 'grpc-status': status };
      if (headers?.['grpc-message'] !== undefined) trailers['grpc-message'] = headers['grpc-message'];
      res.addTrailers(trailers);
    }
    return res;
  };
  (res as unknown as { writeHead: typeof writeHead }).writeHead = writeHead;
}

function unknownRoute(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/grpc')) {
    // A trailers-only gRPC answer: UNIMPLEMENTED.
    res.writeHead(200, { 'content-type': type, 'grpc-status': String(Code.Unimplemented), 'grpc-message': encodeURIComponent(`unknown method ${req.url}`) });
    res.end();
    return;
  }
  end(res, 404);
}

function end(res: http.ServerResponse | http2.Http2ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}
