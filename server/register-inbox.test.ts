// Our client's registration (src/protocol/identity/register-inbox.ts) through the real node.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getInstallationIds } from '../src/protocol/identity/association-state.js';
import { fetchAssociationState } from '../src/protocol/identity/fetch-association-state.js';
import { MAX_INSTALLATIONS_PER_INBOX } from '../src/protocol/identity/installation-limit.js';
import { verifyPasskeySignature } from '../src/protocol/identity/passkey.js';
import { registerInbox } from '../src/protocol/identity/register-inbox.js';
import { errorOf, inboxIdFor, newInstallation, newWallet, newWebAuthnPasskey } from '../src/protocol/test-support/identity-builder.js';
import { startNode, type RunningNode } from './node.js';
import { grpcClients } from './test-support/clients.js';

let node: RunningNode;
beforeAll(async () => {
  node = await startNode({ db: ':memory:' });
});
afterAll(() => node?.close());

const api = () => grpcClients(node.url).identity;
const installationsOf = async (inboxId: string) => {
  const state = await fetchAssociationState({ api: api(), inboxId, verify: { verifyPasskey: verifyPasskeySignature } });
  return getInstallationIds(state).map((k) => Buffer.from(k).toString('hex'));
};

describe('registerInbox', () => {
  test('default: a new wallet creates its inbox (libxmtp nonce 1) with this installation', async () => {
    const wallet = newWallet();
    const installation = newInstallation();
    const result = await registerInbox({ api: api(), identity: wallet, installation });
    expect(result).toMatchObject({ inboxId: inboxIdFor(wallet), created: true });
    expect(await installationsOf(result.inboxId)).toEqual([Buffer.from(installation.identifier.key).toString('hex')]);
  });

  test('behavior: a second installation joins the existing inbox; registering again changes nothing', async () => {
    const wallet = newWallet();
    const first = await registerInbox({ api: api(), identity: wallet, installation: newInstallation() });
    const second = newInstallation();
    const joined = await registerInbox({ api: api(), identity: wallet, installation: second });
    expect(joined).toMatchObject({ inboxId: first.inboxId, created: false });
    expect(await installationsOf(first.inboxId)).toHaveLength(2);
    await registerInbox({ api: api(), identity: wallet, installation: second });
    expect(await installationsOf(first.inboxId)).toHaveLength(2);
  });

  test('behavior: a passkey owns an inbox too', async () => {
    const passkey = newWebAuthnPasskey();
    const result = await registerInbox({ api: api(), identity: passkey, installation: newInstallation(), verify: { verifyPasskey: verifyPasskeySignature } });
    expect(result.created).toBe(true);
    const again = await registerInbox({ api: api(), identity: passkey, installation: newInstallation(), verify: { verifyPasskey: verifyPasskeySignature } });
    expect(again).toMatchObject({ inboxId: result.inboxId, created: false });
  });

  test('error: resolving an inbox the network does not know', async () => {
    const error = await errorOf(() => fetchAssociationState({ api: api(), inboxId: 'ab'.repeat(32) }));
    expect(error.code).toBe('identity.inbox_missing');
  });

  test(`error: an inbox with ${MAX_INSTALLATIONS_PER_INBOX} installations takes no more, and nothing is published`, async () => {
    const wallet = newWallet();
    const { inboxId } = await registerInbox({ api: api(), identity: wallet, installation: newInstallation() });
    for (let i = 1; i < MAX_INSTALLATIONS_PER_INBOX; i++) await registerInbox({ api: api(), identity: wallet, installation: newInstallation() });
    expect(await installationsOf(inboxId)).toHaveLength(MAX_INSTALLATIONS_PER_INBOX);
    const error = await errorOf(() => registerInbox({ api: api(), identity: wallet, installation: newInstallation() }));
    expect(error.code).toBe('identity.too_many_installations');
    expect(await installationsOf(inboxId)).toHaveLength(MAX_INSTALLATIONS_PER_INBOX);
  });
});
