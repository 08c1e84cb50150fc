// Key-package rotation on libxmtp 1.10's schedule against an in-process node, with one injected
// clock for the node and every client: 30 days after an upload, 5 s after a welcome sync that
// received welcomes, old secrets kept for a day after they are replaced, all of it in the Store.
// ts-mls checks key-package lifetimes against Date.now() when committing, so Date follows the clock.
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startNode, type RunningNode } from '../../server/node.js';
import { ClientTables, createClient, openClient, type Clock, type StoredKeyPackage, type XmtpClient } from './client.js';
import { createGroup } from './conversations/create-group.js';
import { SyncWelcomesErrorCodes, syncWelcomes } from './conversations/sync-welcomes.js';
import { createXmtpApi } from './delivery/create-xmtp-api.js';
import type { IdentitySigner } from './identity/identity-signer.js';
import type { PublicIdentifier } from './identity/member-id.js';
import {
  getKeyPackageRotation,
  KEY_PACKAGE_QUEUE_INTERVAL_NS,
  KEY_PACKAGE_ROTATION_INTERVAL_NS,
  KEY_PACKAGE_ROTATION_KEY,
  keyPackageRef,
  KeyPackageRotationErrorCodes,
  KEYS_EXPIRATION_INTERVAL_NS,
  rotateKeyPackageIfDue,
} from './key-package-rotation.js';
import { createMemoryStore } from './storage/memory-store.js';
import type { Store } from './storage/store.js';
import { newWallet } from './test-support/identity-builder.js';

const SECOND = 1_000_000_000n;

let nowNs = BigInt(Date.now()) * 1_000_000n;
const clock: Clock = { nowNs: () => nowNs };
const advance = (ns: bigint) => {
  nowNs += ns;
  vi.setSystemTime(Number(nowNs / 1_000_000n));
};

let node: RunningNode;
beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  advance(0n);
  node = await startNode({ db: ':memory:', now: () => Number(nowNs / SECOND) });
});
afterAll(async () => {
  await node?.close();
  vi.useRealTimers();
});

const api = () => createXmtpApi({ node: node.url });
const newClient = (store: Store = createMemoryStore(), identity: IdentitySigner & { identifier: PublicIdentifier } = newWallet()) =>
  createClient({ api: api(), store, identity, clock });

/** The key package the node hands out for the client's installation. */
async function published(client: XmtpClient): Promise<string> {
  const { keyPackages } = await client.api.mls.fetchKeyPackages({ installationKeys: [client.installation.publicKey] });
  return keyPackageRef(keyPackages[0]?.keyPackageTlsSerialized ?? new Uint8Array());
}

/** Stored key packages: ref → (rows, deleteAtNs). */
async function stored(client: XmtpClient): Promise<Map<string, { rows: number; deleteAtNs: bigint | undefined }>> {
  const out = new Map<string, { rows: number; deleteAtNs: bigint | undefined }>();
  for (const { value } of await client.store.list<StoredKeyPackage>(ClientTables.keyPackages)) {
    const ref = keyPackageRef(value.keyPackage);
    out.set(ref, { rows: (out.get(ref)?.rows ?? 0) + 1, deleteAtNs: value.deleteAtNs });
  }
  return out;
}

describe('rotateKeyPackageIfDue', () => {
  test('default: registration schedules the next rotation 30 days out; at 30 days a fresh key package replaces the old one, whose secrets go a day later', async () => {
    const bob = await newClient();
    const first = await published(bob);
    expect(await getKeyPackageRotation(bob)).toEqual({ nextRotationNs: nowNs + KEY_PACKAGE_ROTATION_INTERVAL_NS, currentKeyPackage: first });
    expect(await stored(bob)).toEqual(new Map([[first, { rows: 2, deleteAtNs: undefined }]]));

    advance(KEY_PACKAGE_ROTATION_INTERVAL_NS - 1n);
    expect(await rotateKeyPackageIfDue(bob)).toMatchObject({ rotated: false, deleted: 0 });
    expect(await published(bob)).toBe(first);

    advance(1n);
    const rotatedAt = nowNs;
    expect(await rotateKeyPackageIfDue(bob)).toEqual({ rotated: true, deleted: 0, nextRotationNs: rotatedAt + KEY_PACKAGE_ROTATION_INTERVAL_NS });
    const second = await published(bob);
    expect(second).not.toBe(first);
    expect(await stored(bob)).toEqual(
      new Map([
        [first, { rows: 2, deleteAtNs: rotatedAt + KEYS_EXPIRATION_INTERVAL_NS }],
        [second, { rows: 2, deleteAtNs: undefined }],
      ]),
    );

    advance(KEYS_EXPIRATION_INTERVAL_NS - 1n);
    expect(await rotateKeyPackageIfDue(bob)).toMatchObject({ rotated: false, deleted: 0 });
    advance(1n);
    expect(await rotateKeyPackageIfDue(bob)).toMatchObject({ rotated: false, deleted: 1 });
    expect(await stored(bob)).toEqual(new Map([[second, { rows: 2, deleteAtNs: undefined }]]));
    expect(await published(bob)).toBe(second);
  });

  test('behavior: a welcome sync queues a rotation 5 s later; the first sync after that rotates, later ones do not', async () => {
    const [alice, bob] = await Promise.all([newClient(), newClient()]);
    const [aliceFirst, first] = await Promise.all([published(alice), published(bob)]);
    const group = await createGroup(alice, { memberInboxIds: [bob.inboxId] });

    expect(await syncWelcomes(bob)).toEqual({ joined: [group.id], skipped: [] });
    expect((await getKeyPackageRotation(bob)).nextRotationNs).toBe(nowNs + KEY_PACKAGE_QUEUE_INTERVAL_NS);
    expect(await published(bob)).toBe(first);

    advance(KEY_PACKAGE_QUEUE_INTERVAL_NS - 1n);
    await syncWelcomes(bob);
    expect(await published(bob)).toBe(first);

    advance(1n);
    expect(await syncWelcomes(bob)).toEqual({ joined: [], skipped: [] });
    const second = await published(bob);
    expect(second).not.toBe(first);
    expect(await getKeyPackageRotation(bob)).toEqual({ nextRotationNs: nowNs + KEY_PACKAGE_ROTATION_INTERVAL_NS, currentKeyPackage: second });
    expect((await stored(bob)).get(first)).toEqual({ rows: 2, deleteAtNs: nowNs + KEYS_EXPIRATION_INTERVAL_NS });

    advance(10n * SECOND);
    await syncWelcomes(bob);
    expect(await published(bob)).toBe(second);
    // Alice received no welcome: her key package stays.
    await syncWelcomes(alice);
    expect(await published(alice)).toBe(aliceFirst);
  });

  test('behavior: a welcome to the old key package joins within the grace period; after it the secrets are gone and such a welcome is refused', async () => {
    const [alice, bob] = await Promise.all([newClient(), newClient()]);
    const { keyPackages } = await alice.api.mls.fetchKeyPackages({ installationKeys: [bob.installation.publicKey] });
    const oldKeyPackage = keyPackages[0]!.keyPackageTlsSerialized;
    const first = keyPackageRef(oldKeyPackage);
    const early = await createGroup(alice, { memberInboxIds: [bob.inboxId] }); // welcome to the first key package

    advance(KEY_PACKAGE_ROTATION_INTERVAL_NS);
    expect((await rotateKeyPackageIfDue(bob)).rotated).toBe(true);
    const rotatedAt = nowNs;
    const second = await published(bob);
    expect(second).not.toBe(first);

    advance(KEYS_EXPIRATION_INTERVAL_NS - SECOND);
    expect(await syncWelcomes(bob)).toEqual({ joined: [early.id], skipped: [] });

    advance(SECOND); // the first key package's grace period ends
    expect(nowNs).toBe(rotatedAt + KEYS_EXPIRATION_INTERVAL_NS);
    expect(await syncWelcomes(bob)).toEqual({ joined: [], skipped: [] });
    expect(await stored(bob)).toEqual(new Map([[second, { rows: 2, deleteAtNs: undefined }]]));

    // A sender still holding the first key package (put back on the node to stand in for a stale copy).
    await alice.api.mls.uploadKeyPackage({ keyPackage: { keyPackageTlsSerialized: oldKeyPackage }, isInboxIdCredential: true });
    await createGroup(alice, { memberInboxIds: [bob.inboxId] });
    const late = await syncWelcomes(bob);
    expect(late.joined).toEqual([]);
    expect(late.skipped.map((s) => s.error.code)).toEqual([SyncWelcomesErrorCodes.unknownKeyPackage]);
  });

  test('behavior: the schedule and the retired key packages survive reopening the client', async () => {
    const store = createMemoryStore();
    const [alice, bob] = await Promise.all([newClient(), newClient(store)]);
    const first = await published(bob);
    await createGroup(alice, { memberInboxIds: [bob.inboxId] });
    await syncWelcomes(bob);
    const queuedAt = nowNs;

    const reopened = await openClient({ api: api(), store, clock });
    expect((await getKeyPackageRotation(reopened)).nextRotationNs).toBe(queuedAt + KEY_PACKAGE_QUEUE_INTERVAL_NS);
    advance(KEY_PACKAGE_QUEUE_INTERVAL_NS);
    expect((await rotateKeyPackageIfDue(reopened)).rotated).toBe(true);
    const second = await published(bob);
    expect(second).not.toBe(first);

    const again = await openClient({ api: api(), store, clock });
    expect(await getKeyPackageRotation(again)).toEqual({ nextRotationNs: nowNs + KEY_PACKAGE_ROTATION_INTERVAL_NS, currentKeyPackage: second });
    advance(KEYS_EXPIRATION_INTERVAL_NS);
    expect(await rotateKeyPackageIfDue(again)).toMatchObject({ rotated: false, deleted: 1 });
    expect(await stored(again)).toEqual(new Map([[second, { rows: 2, deleteAtNs: undefined }]]));
  });

  test('behavior: createClient reusing a key package rotates it once due', async () => {
    const store = createMemoryStore();
    const wallet = newWallet();
    const bob = await newClient(store, wallet);
    const first = await published(bob);
    advance(KEY_PACKAGE_ROTATION_INTERVAL_NS - SECOND);
    await createClient({ api: api(), store, identity: wallet, clock, reuseKeyPackage: true });
    expect(await published(bob)).toBe(first);
    advance(SECOND);
    await createClient({ api: api(), store, identity: wallet, clock, reuseKeyPackage: true });
    expect(await published(bob)).not.toBe(first);
  });

  test('behavior: a store written before rotation existed rotates 30 days after its newest key package', async () => {
    const bob = await newClient();
    const first = await published(bob);
    const uploadedAt = nowNs;
    await bob.store.delete(ClientTables.client, KEY_PACKAGE_ROTATION_KEY);
    expect(await getKeyPackageRotation(bob)).toEqual({ nextRotationNs: uploadedAt + KEY_PACKAGE_ROTATION_INTERVAL_NS, currentKeyPackage: first });
    advance(KEY_PACKAGE_ROTATION_INTERVAL_NS - SECOND);
    expect((await rotateKeyPackageIfDue(bob)).rotated).toBe(false);
    advance(SECOND);
    expect((await rotateKeyPackageIfDue(bob)).rotated).toBe(true);
    expect(await published(bob)).not.toBe(first);
  });

  test('error: a failed upload keeps the rotation due; syncWelcomes reports it and a later sync rotates', async () => {
    const store = createMemoryStore();
    const bob = await newClient(store);
    const first = await published(bob);
    const real = api();
    const down = { ...real, mls: { ...real.mls, uploadKeyPackage: () => Promise.reject(new ConnectError('node down', Code.Unavailable)) } };
    const failing = await openClient({ api: down as typeof real, store, clock });

    advance(KEY_PACKAGE_ROTATION_INTERVAL_NS);
    const result = await syncWelcomes(failing);
    expect(result.rotationError).toMatchObject({ code: KeyPackageRotationErrorCodes.uploadFailed, retryable: true });
    expect((await getKeyPackageRotation(bob)).nextRotationNs).toBeLessThanOrEqual(nowNs);
    expect(await published(bob)).toBe(first);
    const orphan = [...(await stored(bob)).keys()].find((ref) => ref !== first)!; // stored before the upload, never published
    expect([...(await stored(bob)).values()].every((kp) => kp.deleteAtNs === undefined)).toBe(true);

    expect((await syncWelcomes(bob)).rotationError).toBeUndefined();
    const second = await published(bob);
    expect([first, orphan]).not.toContain(second);
    const after = await stored(bob);
    expect(after.get(first)?.deleteAtNs).toBe(nowNs + KEYS_EXPIRATION_INTERVAL_NS);
    expect(after.get(orphan)?.deleteAtNs).toBe(nowNs + KEYS_EXPIRATION_INTERVAL_NS);
    expect(after.get(second)?.deleteAtNs).toBeUndefined();
  });
});
