/**
 * One TCP port for both kinds of client. Node only.
 *
 * libxmtp speaks gRPC over cleartext HTTP/2 with prior knowledge (h2c); browsers (and so the
 * extension's connect-web transport) speak gRPC-web over HTTP/1.1. Node's plaintext HTTP/2 server
 * has no HTTP/1.1 fallback, so a front TCP server peeks at the first bytes of each connection: the
 * HTTP/2 connection preface goes to an HTTP/2 server, anything else to an HTTP/1.1 server, both with
 * the same request handler.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

export interface DualServer {
  readonly port: number;
  readonly host: string;
  /** Stops accepting connections, ends open streams and waits for the sockets to close. */
  close(): Promise<void>;
}

export async function listenDual(handler: RequestHandler, options: { host: string; port: number }): Promise<DualServer> {
  const h2 = http2.createServer({ maxSessionMemory: 64 }, handler);
  const h1 = http.createServer(handler);
  h1.keepAliveTimeout = 5_000;
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });

  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true); // small gRPC frames must not wait for Nagle
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let head = Buffer.alloc(0);
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, PREFACE.length);
      const isH2 = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isH2 && head.length < PREFACE.length) return; // wait for the rest of the preface
      socket.off('readable', onReadable);
      socket.unshift(head);
      (isH2 ? h2 : h1).emit('connection', socket);
    };
    socket.on('readable', onReadable);
  });

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port, options.host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const address = front.address() as net.AddressInfo;

  return {
    port: address.port,
    host: options.host,
    async close() {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const s of sessions) s.close();
      h1.closeIdleConnections();
      // Give in-flight requests a moment, then cut what is left (open streams never end by themselves).
      await Promise.race([closed, delay(2_000)]);
      for (const s of sessions) s.destroy();
      h1.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
