/**
 * Test helpers: Connect clients for a running node over both protocols it serves (gRPC over HTTP/2
 * as libxmtp speaks it, gRPC-web over HTTP/1.1 as browsers do), and synthetic MLS group messages
 * (framing only: the node never decrypts). Node only.
 */
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { encode, mlsMessageEncoder, protocolVersions, wireformats } from 'ts-mls';
import { IdentityApi } from '../../src/gen/identity/api/v1/identity_pb.js';
import { MlsApi } from '../../src/gen/mls/api/v1/mls_pb.js';

export interface NodeClients {
  readonly mls: Client<typeof MlsApi>;
  readonly identity: Client<typeof IdentityApi>;
}

export function grpcClients(baseUrl: string): NodeClients {
  const transport = createGrpcTransport({ baseUrl });
  return { mls: createClient(MlsApi, transport), identity: createClient(IdentityApi, transport) };
}

export function grpcWebClients(baseUrl: string): NodeClients {
  const transport = createGrpcWebTransport({ baseUrl, httpVersion: '1.1' });
  return { mls: createClient(MlsApi, transport), identity: createClient(IdentityApi, transport) };
}

/** A well-formed MLS PrivateMessage for `groupId` (content: 1 application, 2 proposal, 3 commit). */
export function privateMessage(groupId: Uint8Array, contentType: 1 | 2 | 3, payload: string, epoch = 1n): Uint8Array {
  return encode(mlsMessageEncoder, {
    version: protocolVersions.mls10,
    wireformat: wireformats.mls_private_message,
    privateMessage: {
      groupId,
      epoch,
      contentType,
      authenticatedData: new Uint8Array(),
      encryptedSenderData: new TextEncoder().encode(`sender:${payload}`),
      ciphertext: new TextEncoder().encode(payload),
    },
  });
}

export function groupId(n: number): Uint8Array {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(12, n);
  id[0] = 0xaa;
  return id;
}
