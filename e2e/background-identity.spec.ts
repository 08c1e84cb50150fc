// The protocol core inside the extension's service worker: the background creates an identity on
// our local node (wallet key, Ed25519 installation key, inbox registration, X-Wing key package),
// a REAL libxmtp client (@xmtp/node-sdk 6.0.0) sees it, the node holds its key package, and the
// identity survives a service-worker restart. The node runs in this Playwright process.
import { startNode, type RunningNode } from '../server/node.js';
import { createPeer, ensureLibxmtpRuntime, removeInteropTmpDir } from '../interop/harness.js';
import { createXmtpApi } from '../src/protocol/delivery/create-xmtp-api.js';
import type { IdentitySummary } from '../src/messaging/popup-protocol.js';
import { expect, sendToBackground as send, stopServiceWorkers, test } from './fixtures.js';

let node: RunningNode;

test.beforeAll(async () => {
  // The first run installs the libxmtp runtime (Node 22 + @xmtp/node-sdk) into .libxmtp/: minutes.
  test.setTimeout(20 * 60_000);
  await ensureLibxmtpRuntime();
  node = await startNode({ db: ':memory:' });
});

test.afterAll(async () => {
  await node?.close();
  removeInteropTmpDir();
});


const hexToBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

test('the background registers an inbox that libxmtp sees, and keeps it across a restart', async ({ context, openPopup }) => {
  test.setTimeout(180_000);
  const popup = await openPopup();
  expect(await send(popup, 'identity.get', {})).toEqual({ ok: true, result: null });

  const t0 = Date.now();
  const answer = await send(popup, 'identity.create', { network: node.url });
  const createMs = Date.now() - t0;
  expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true });
  const me = (answer as { result: IdentitySummary }).result;
  // Ids only: nothing secret crosses to the popup.
  expect(me).toEqual({
    inboxId: expect.stringMatching(/^[0-9a-f]{64}$/),
    address: expect.stringMatching(/^0x[0-9a-f]{40}$/),
    installationId: expect.stringMatching(/^[0-9a-f]{64}$/),
    network: node.url,
  });

  // (a) a real libxmtp client resolves our address to our inbox and sees exactly our installation.
  const t1 = Date.now();
  const lx = createPeer('e2e-bg-libxmtp', node.url);
  await lx.init();
  expect((await lx.run<{ inboxId: string | null }>(['resolve', me.address])).inboxId).toBe(me.inboxId);
  const { states } = await lx.run<{ states: { inboxId: string; installations: { id: string }[]; identifiers: unknown[] }[] }>([
    'inbox-state',
    me.inboxId,
  ]);
  expect(states).toHaveLength(1);
  expect(states[0]?.installations.map((i) => i.id)).toEqual([me.installationId]);
  expect(states[0]?.identifiers).toEqual([{ identifier: me.address, identifierKind: 0 }]);
  const libxmtpMs = Date.now() - t1;

  // (b) the node holds our key package (the leaf signature key is our installation id).
  const api = createXmtpApi({ node: node.url });
  const { keyPackages } = await api.mls.fetchKeyPackages({ installationKeys: [hexToBytes(me.installationId)] });
  expect(keyPackages).toHaveLength(1);
  const kp = keyPackages[0]!.keyPackageTlsSerialized;
  expect(Buffer.from(kp).includes(Buffer.from(me.installationId, 'hex'))).toBe(true);
  expect(kp.length).toBeGreaterThan(1216); // carries the 1216-byte X-Wing welcome-wrapper key (0xFF03)

  expect(await send(popup, 'identity.get', {})).toEqual({ ok: true, result: me });
  // (c) after the worker is stopped (as Chrome's idle timeout would), the identity is still there.
  const before = (await send(popup, 'app.status', {})) as { result: { instanceId: string } };
  await stopServiceWorkers(context);
  const after = (await send(popup, 'app.status', {})) as { result: { instanceId: string } };
  expect(after.result.instanceId).not.toBe(before.result.instanceId);
  expect(await send(popup, 'identity.get', {})).toEqual({ ok: true, result: me });
  // and a second create is refused rather than silently replacing it
  expect(await send(popup, 'identity.create', { network: node.url })).toMatchObject({
    ok: false,
    error: { code: 'identity.already_exists' },
  });
  console.log(`identity.create in the service worker: ${createMs} ms; libxmtp init+resolve+inbox-state: ${libxmtpMs} ms`);
});

test('identity.create: bad params and an unreachable node are typed errors', async ({ openPopup }) => {
  const popup = await openPopup();
  expect(await send(popup, 'identity.create', { network: 'ftp://nope' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  expect(await send(popup, 'identity.create', {})).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

  const closed = await startNode({ db: ':memory:' });
  await closed.close();
  const answer = await send(popup, 'identity.create', { network: closed.url });
  expect(answer).toMatchObject({ ok: false, error: { code: 'node.unreachable', retryable: true } });
  expect((answer as { error: { message: string } }).error.message).toContain(`could not reach the XMTP node at ${closed.url}`);
  expect(await send(popup, 'identity.get', {})).toEqual({ ok: true, result: null });
});
