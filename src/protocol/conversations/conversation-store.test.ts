import { createApplicationMessage, createCommit, createGroup, defaultCapabilities, defaultProposalTypes, generateKeyPackage, joinGroup, processMessage, type ClientState, type MlsFramedMessage } from 'ts-mls';
import { describe, expect, test } from 'vitest';
import { xmtpCiphersuite } from '../mls/xmtp-ciphersuite.js';
import { createMemoryStore } from '../storage/memory-store.js';
import { ConversationTables, decodeClientState, encodeClientState, groupKey, loadGroup, saveGroup, type StoredGroup } from './conversation-store.js';

const cipherSuite = xmtpCiphersuite();
const context = { cipherSuite, authService: { validateCredential: async () => true } };

async function member(name: string) {
  const { publicPackage, privatePackage } = await generateKeyPackage({ credential: { credentialType: 1, identity: new TextEncoder().encode(name) }, capabilities: defaultCapabilities(), cipherSuite });
  return { keyPackage: publicPackage, privateKeys: privatePackage };
}

async function newState(groupId: Uint8Array): Promise<ClientState> {
  const me = await member('me');
  return createGroup({ context, groupId, keyPackage: me.keyPackage, privateKeyPackage: me.privateKeys });
}

describe('conversation store: group states', () => {
  test('default: a saved state loads back equal; decodeClientState always makes a fresh copy', async () => {
    const store = createMemoryStore();
    const groupId = crypto.getRandomValues(new Uint8Array(16));
    const state = await newState(groupId);
    const record: StoredGroup = { groupId, state: new Uint8Array(0), cursor: 0n, kind: 'group', createdAtNs: 1n, addedByInboxId: 'ab'.repeat(32) };
    await saveGroup(store, record, state);
    const loaded = await loadGroup(store, groupId);
    expect(loaded.state).toEqual(state);
    const bytes = encodeClientState(state);
    expect(loaded.record.state).toEqual(bytes);
    const copy = decodeClientState(bytes);
    expect(copy).toEqual(state);
    expect(copy).not.toBe(state);
  });

  test('behavior: the state just saved is not decoded again, and a changed state in the store is', async () => {
    const store = createMemoryStore();
    const groupId = crypto.getRandomValues(new Uint8Array(16));
    const state = await newState(groupId);
    const record: StoredGroup = { groupId, state: new Uint8Array(0), cursor: 0n, kind: 'group', createdAtNs: 1n, addedByInboxId: 'ab'.repeat(32) };
    await saveGroup(store, record, state);
    expect((await loadGroup(store, groupId)).state).toBe(state);
    expect((await loadGroup(store, groupId)).state).toBe(state);

    // Another writer (another context, a crash recovery) puts other bytes: they are decoded.
    const { newState: next } = await createCommit({ context, state });
    await store.put(ConversationTables.groups, groupKey(groupId), { ...record, state: encodeClientState(next) });
    const loaded = await loadGroup(store, groupId);
    expect(loaded.state).not.toBe(state);
    expect(loaded.state.groupContext.epoch).toBe(1n);
    expect(loaded.state).toEqual(decodeClientState(encodeClientState(next)));
    expect((await loadGroup(store, groupId)).state).toBe(loaded.state);
  });

  test('behavior: ts-mls never changes a state it is given (what sharing decoded states, and processing commits on the state itself, rely on)', async () => {
    const [bob, carol] = await Promise.all([member('bob'), member('carol')]);
    const alice0 = await newState(crypto.getRandomValues(new Uint8Array(16)));
    const unchanged: [ClientState, Uint8Array][] = [];
    const keep = (s: ClientState) => {
      unchanged.push([s, encodeClientState(s)]);
      return s;
    };
    const apply = async (state: ClientState, message: MlsFramedMessage) => {
      const r = await processMessage({ context, state: keep(state), message });
      return r.newState;
    };
    const add = await createCommit({ context, state: keep(alice0), extraProposals: [bob, carol].map((m) => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: m.keyPackage } })), ratchetTreeExtension: true });
    let [alice, b, c] = [add.newState, await joinGroup({ context, welcome: add.welcome!.welcome, ...bob }), await joinGroup({ context, welcome: add.welcome!.welcome, ...carol })];
    const update = await createCommit({ context, state: keep(b) }); // an empty commit with a path
    [alice, b, c] = [await apply(alice, update.commit), update.newState, await apply(c, update.commit)];
    const message = await createApplicationMessage({ context, state: keep(c), message: new TextEncoder().encode('hi') });
    [alice, b] = [await apply(alice, message.message), await apply(b, message.message)];
    const remove = await createCommit({ context, state: keep(alice), extraProposals: [{ proposalType: defaultProposalTypes.remove, remove: { removed: 2 } }] });
    await apply(b, remove.commit);
    await apply(c, remove.commit); // removes the receiver
    for (const [state, bytes] of unchanged) expect(encodeClientState(state)).toEqual(bytes);
  });
});
