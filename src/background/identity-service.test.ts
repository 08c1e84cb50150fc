// The identity service against our real node (in process, gRPC-web over HTTP/1.1 like the extension).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../server/node.js';
import { createXmtpApi } from '../protocol/delivery/create-xmtp-api.js';
import { createMemoryStorageArea, createStorageAreaStore } from '../keystore/storage-area-store.js';
import { createIdentityService } from './identity-service.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
});

const hexToBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)));

describe('createIdentityService', () => {
  test('default: creates, registers and uploads a key package; get returns the same ids', async () => {
    const service = createIdentityService({ store: createStorageAreaStore({ area: createMemoryStorageArea() }) });
    expect(await service.get()).toBeNull();
    const created = await service.create({ network: node.url });
    expect(created).toMatchObject({
      inboxId: expect.stringMatching(/^[0-9a-f]{64}$/),
      address: expect.stringMatching(/^0x[0-9a-f]{40}$/),
      installationId: expect.stringMatching(/^[0-9a-f]{64}$/),
      network: node.url,
    });
    expect(await service.get()).toEqual(created);
    expect(Object.keys(created).sort()).toEqual(['address', 'inboxId', 'installationId', 'network']);

    const api = createXmtpApi({ node: node.url });
    const ids = await api.identity.getInboxIds({ requests: [{ identifier: created.address, identifierKind: 0 }] });
    expect(ids.responses[0]?.inboxId).toBe(created.inboxId);
    const kps = await api.mls.fetchKeyPackages({ installationKeys: [hexToBytes(created.installationId)] });
    expect(kps.keyPackages[0]?.keyPackageTlsSerialized.length).toBeGreaterThan(1216);
  });

  test('behavior: client() opens the XmtpClient over the registered identity (its key packages stored)', async () => {
    const store = createStorageAreaStore({ area: createMemoryStorageArea() });
    const service = createIdentityService({ store });
    await expect(service.client()).rejects.toMatchObject({ code: 'identity.not_found' });
    const created = await service.create({ network: node.url });
    const client = await service.client();
    expect(client.inboxId).toBe(created.inboxId);
    expect(Buffer.from(client.installation.publicKey).toString('hex')).toBe(created.installationId);
    expect(await service.client()).toBe(client); // one per worker: it holds the group locks
    expect((await store.list('keyPackages')).length).toBe(2); // X-Wing key and init key, same key package
    const reopened = await createIdentityService({ store }).client();
    expect(reopened.inboxId).toBe(created.inboxId);
  });

  test('behavior: the identity survives a new service over the same storage (a worker restart)', async () => {
    const area = createMemoryStorageArea();
    const created = await createIdentityService({ store: createStorageAreaStore({ area }) }).create({ network: node.url });
    expect(await createIdentityService({ store: createStorageAreaStore({ area }) }).get()).toEqual(created);
  });

  test('behavior: a creation interrupted after persisting resumes with the same keys', async () => {
    const area = createMemoryStorageArea();
    const store = createStorageAreaStore({ area });
    const offline = createIdentityService({ store, fetch: () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(offline.create({ network: node.url })).rejects.toMatchObject({ code: 'node.unreachable', retryable: true });
    const pending = await store.get<{ address: string; status: string }>('identity', 'current');
    expect(pending?.status).toBe('pending');
    const service = createIdentityService({ store });
    expect(await service.get()).toBeNull();
    expect((await service.create({ network: node.url })).address).toBe(pending?.address);
  });

  test('behavior: concurrent creates are serialized; the second finds the first', async () => {
    const service = createIdentityService({ store: createStorageAreaStore({ area: createMemoryStorageArea() }) });
    const [a, b] = await Promise.allSettled([service.create({ network: node.url }), service.create({ network: node.url })]);
    expect(a.status).toBe('fulfilled');
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'identity.already_exists' } });
  });

  test('error: an unreachable node is node.unreachable, naming the URL', async () => {
    const closed = await startNode({ db: ':memory:' });
    await closed.close();
    const service = createIdentityService({ store: createStorageAreaStore({ area: createMemoryStorageArea() }) });
    const error = await service.create({ network: closed.url }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'node.unreachable', retryable: true });
    expect((error as Error).message).toContain(`could not reach the XMTP node at ${closed.url}`);
  });
});
