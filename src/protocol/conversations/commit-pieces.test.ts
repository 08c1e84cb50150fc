// resolveInstallations through a real node: the key packages are requested while the identity logs
// are verified, and that early request is used only when it names exactly the verified
// installations (in order); after a revocation the verified installations are requested again.
import { bytesToHex } from '@noble/hashes/utils.js';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startNode, type RunningNode } from '../../../server/node.js';
import { createClient, type XmtpClient } from '../client.js';
import { createXmtpApi } from '../delivery/create-xmtp-api.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { buildUpdate, newWallet } from '../test-support/identity-builder.js';
import { resolveInstallations } from './commit-pieces.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(async () => {
  await node?.close();
});

const newClient = (key: `0x${string}` = generatePrivateKey()) => createClient({ api: createXmtpApi({ node: node.url }), store: createMemoryStore(), identity: newWallet(key) });

/** The client with its key-package requests recorded (hex installation keys per request). */
function recording(client: XmtpClient): { client: XmtpClient; requests: string[][] } {
  const requests: string[][] = [];
  const mls = new Proxy(client.api.mls, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'fetchKeyPackages' || typeof value !== 'function') return value;
      return (request: { installationKeys: Uint8Array[] }, ...rest: unknown[]) => {
        requests.push(request.installationKeys.map((k) => bytesToHex(k)));
        return (value as (...a: unknown[]) => unknown).call(target, request, ...rest);
      };
    },
  });
  return { client: { ...client, api: { ...client.api, mls } }, requests };
}

describe('resolveInstallations', () => {
  test('default: one key-package request, for the verified installations in log order', async () => {
    const bobKey = generatePrivateKey();
    const [alice, bob] = await Promise.all([newClient(), newClient(bobKey)]);
    const bob2 = await newClient(bobKey);
    const { client, requests } = recording(alice);
    const { recipients, failed } = await resolveInstallations(client, [bob.inboxId], { required: [bob.inboxId] });
    const expected = [bob.installation.publicKey, bob2.installation.publicKey].map((k) => bytesToHex(k));
    expect(recipients.map((r) => bytesToHex(r.installationKey))).toEqual(expected);
    expect(failed).toEqual([]);
    expect(requests).toEqual([expected]);
  });

  test('behavior: after a revocation the early request is not used: the verified installations are requested again', async () => {
    const bobKey = generatePrivateKey();
    const [alice, bob] = await Promise.all([newClient(), newClient(bobKey)]);
    const bob2 = await newClient(bobKey);
    const update = await buildUpdate({ inboxId: bob.inboxId, actions: [{ kind: 'revoke', recovery: newWallet(bobKey), member: { kind: 'installation', key: bob2.installation.publicKey } }] });
    await bob.api.identity.publishIdentityUpdate({ identityUpdate: update });
    const { client, requests } = recording(alice);
    const { recipients } = await resolveInstallations(client, [bob.inboxId], { required: [bob.inboxId] });
    expect(recipients.map((r) => bytesToHex(r.installationKey))).toEqual([bytesToHex(bob.installation.publicKey)]);
    expect(requests).toEqual([
      [bob.installation.publicKey, bob2.installation.publicKey].map((k) => bytesToHex(k)),
      [bytesToHex(bob.installation.publicKey)],
    ]);
  });
});
