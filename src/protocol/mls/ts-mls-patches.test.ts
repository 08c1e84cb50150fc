/**
 * One test per part of patches/ts-mls+2.0.0-rc.10.patch (see patches/README.md). Each test fails when
 * its part of the patch is reverted in node_modules/ts-mls/dist; all members here are ts-mls.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  createProposal,
  decode,
  defaultCapabilities,
  defaultExtensionTypes,
  defaultProposalTypes,
  encode,
  generateKeyPackage,
  getCiphersuiteImpl,
  getOwnLeafNode,
  joinGroup,
  joinGroupExternal,
  leafNodeSources,
  makeCustomExtension,
  mlsMessageDecoder,
  mlsMessageEncoder,
  processMessage,
  protocolVersions,
  senderTypes,
  unsafeTestingAuthenticationService,
  wireformats,
  type CiphersuiteImpl,
  type ClientState,
  type GroupContext,
  type KeyPackage,
  type LeafNodeUpdate,
  type MlsContext,
  type MlsFramedMessage,
  type PrivateKeyPackage,
  type Proposal,
  type UpdatePath,
} from 'ts-mls';
import type * as TsMls from 'ts-mls';
import { beforeAll, describe, expect, test } from 'vitest';
import { concatBytes, encodeVector, signContent } from './tls.js';

const SUITE = 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519';
/** A custom group-context extension, standing in for XMTP's 0xff00 group metadata. */
const META = 0xff00;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

let cs: CiphersuiteImpl;
let context: MlsContext;

beforeAll(async () => {
  cs = await getCiphersuiteImpl(SUITE);
  context = { cipherSuite: cs, authService: unsafeTestingAuthenticationService };
});

interface Member {
  keyPackage: KeyPackage;
  privateKeys: PrivateKeyPackage;
}

async function member(name: string): Promise<Member> {
  const caps = defaultCapabilities();
  const { publicPackage, privatePackage } = await generateKeyPackage({
    credential: { credentialType: 1, identity: utf8.encode(name) },
    capabilities: { ...caps, extensions: [...caps.extensions, META] },
    cipherSuite: cs,
  });
  return { keyPackage: publicPackage, privateKeys: privatePackage };
}

const meta = (text: string) => makeCustomExtension({ extensionType: META, extensionData: utf8.encode(text) });
const gce = (text: string): Proposal => ({
  proposalType: defaultProposalTypes.group_context_extensions,
  groupContextExtensions: { extensions: [meta(text)] },
});
const add = (m: Member): Proposal => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: m.keyPackage } });
const remove = (leaf: number): Proposal => ({ proposalType: defaultProposalTypes.remove, remove: { removed: leaf } });

/** The creator makes a group with META = "v0" and adds everyone else in one Add-only commit (no path). */
async function makeGroup<const N extends readonly string[]>(names: N): Promise<{ -readonly [K in keyof N]: ClientState }> {
  return (await makeStates([...names])) as { -readonly [K in keyof N]: ClientState };
}

async function makeStates(names: string[]): Promise<ClientState[]> {
  const [creator, ...others] = await Promise.all(names.map(member));
  const a = await createGroup({
    context,
    groupId: utf8.encode(`group ${names.join()}`),
    keyPackage: creator!.keyPackage,
    privateKeyPackage: creator!.privateKeys,
    extensions: [meta('v0')],
  });
  if (others.length === 0) return [a];
  const { newState, welcome } = await createCommit({ context, state: a, extraProposals: others.map(add), ratchetTreeExtension: true });
  const joined = await Promise.all(others.map((m) => joinGroup({ context, welcome: welcome!.welcome, ...m })));
  return [newState, ...joined];
}

async function processed(state: ClientState, message: MlsFramedMessage): Promise<ClientState> {
  const result = await processMessage({ context, state, message });
  expect(result.kind).toBe('newState');
  return result.newState;
}

function pathOf(message: MlsFramedMessage): UpdatePath | undefined {
  if (message.wireformat !== wireformats.mls_public_message) throw new Error('inspect public commits only');
  const content = message.publicMessage.content;
  if (!('commit' in content)) throw new Error('not a commit');
  return content.commit.path;
}

/** Every member is in the same epoch: same group context, same epoch authenticator, same exporter secret. */
function expectSameEpoch(states: ClientState[]): void {
  const [first, ...rest] = states;
  for (const s of rest) {
    expect(s.groupContext).toEqual(first!.groupContext);
    expect(s.keySchedule.epochAuthenticator).toEqual(first!.keySchedule.epochAuthenticator);
    expect(s.keySchedule.exporterSecret).toEqual(first!.keySchedule.exporterSecret);
  }
}

/** `sender` encrypts `text`; every receiver decrypts it. Returns the states after the exchange. */
async function exchange<const R extends readonly ClientState[]>(
  sender: ClientState,
  receivers: R,
  text: string,
): Promise<[ClientState, { -readonly [K in keyof R]: ClientState }]> {
  const { newState, message } = await createApplicationMessage({ context, state: sender, message: utf8.encode(text) });
  const after: ClientState[] = [];
  for (const r of receivers) {
    const result = await processMessage({ context, state: r, message });
    if (result.kind !== 'applicationMessage') throw new Error('expected an application message');
    expect(fromUtf8.decode(result.message)).toBe(text);
    after.push(result.newState);
  }
  return [newState, after as { -readonly [K in keyof R]: ClientState }];
}

const metaOf = (s: ClientState) => s.groupContext.extensions.find((e) => e.extensionType === META)?.extensionData;

// --- small TLS helpers for the hand-built messages (RFC 9420 §2.1) ---
const u8 = (n: number) => Uint8Array.of(n);
const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u16Vector = (ns: readonly number[]) => encodeVector(concatBytes(...ns.map(u16)));

/** GroupContext bytes, from ts-mls's own encoder: a GroupInfo with empty extensions, tag, signer 0 and signature. */
function groupContextBytes(gc: GroupContext): Uint8Array {
  const groupInfo = { groupContext: gc, extensions: [], confirmationTag: new Uint8Array(), signer: 0, signature: new Uint8Array() };
  const bytes = encode(mlsMessageEncoder, { version: protocolVersions.mls10, wireformat: wireformats.mls_group_info, groupInfo });
  return bytes.subarray(4, bytes.length - 7); // version, wire_format | GroupContext | 0x00 0x00 signer(4) 0x00
}

/**
 * Re-signs a member's public commit (optionally without its UpdatePath), as a peer that sends such a
 * commit would: a new FramedContentTBS signature and membership tag (RFC 9420 §6.1, §6.2). The
 * confirmation tag is kept, so only a receiver that gets past the path check can notice it.
 */
async function resign(message: MlsFramedMessage, signer: ClientState, dropPath: boolean): Promise<MlsFramedMessage> {
  if (message.wireformat !== wireformats.mls_public_message) throw new Error('public commits only');
  const pm = message.publicMessage;
  if (pm.senderType !== senderTypes.member || !('commit' in pm.content) || !('confirmationTag' in pm.auth)) throw new Error('member commit expected');
  const content = dropPath ? { ...pm.content, commit: { ...pm.content.commit, path: undefined } } : pm.content;
  const unsigned = { ...pm, content };
  const full = encode(mlsMessageEncoder, { ...message, publicMessage: unsigned });
  const trailer = [pm.auth.signature, pm.auth.confirmationTag, pm.membershipTag].reduce((n, v) => n + encodeVector(v).length, 0);
  const framedContent = full.subarray(4, full.length - trailer);
  const tbs = concatBytes(u16(protocolVersions.mls10), u16(wireformats.mls_public_message), framedContent, groupContextBytes(signer.groupContext));
  const signature = await cs.signature.sign(signer.signaturePrivateKey, signContent('FramedContentTBS', tbs));
  const auth = concatBytes(encodeVector(signature), encodeVector(pm.auth.confirmationTag));
  const membershipTag = await cs.hash.mac(signer.keySchedule.membershipKey, concatBytes(tbs, auth));
  return { ...message, publicMessage: { ...unsigned, auth: { ...pm.auth, signature }, membershipTag } };
}

/**
 * An Update proposal for `state`'s own leaf with a fresh HPKE key (RFC 9420 §12.1.2). ts-mls rc.10
 * has no API for this, so the LeafNodeTBS (§7.2, leaf_node_source = update) is encoded here; it
 * handles basic credentials only.
 */
async function updateProposal(state: ClientState): Promise<{ proposal: Proposal; leafNode: LeafNodeUpdate; newLeafPrivateKey: Uint8Array }> {
  const leaf = getOwnLeafNode(state);
  const keyPair = await cs.hpke.generateKeyPair();
  const hpkePublicKey = await cs.hpke.exportPublicKey(keyPair.publicKey);
  if (leaf.credential.credentialType !== 1 || !('identity' in leaf.credential)) throw new Error('basic credential expected');
  const c = leaf.capabilities;
  const tbs = concatBytes(
    encodeVector(hpkePublicKey),
    encodeVector(leaf.signaturePublicKey),
    u16(1),
    encodeVector(leaf.credential.identity),
    u16Vector(c.versions),
    u16Vector(c.ciphersuites),
    u16Vector(c.extensions),
    u16Vector(c.proposals),
    u16Vector(c.credentials),
    u8(leafNodeSources.update),
    encodeVector(concatBytes(...leaf.extensions.map((e) => concatBytes(u16(e.extensionType), encodeVector(e.extensionData))))),
    encodeVector(state.groupContext.groupId),
    u32(state.privatePath.leafIndex),
  );
  const leafNode: LeafNodeUpdate = {
    hpkePublicKey,
    signaturePublicKey: leaf.signaturePublicKey,
    credential: leaf.credential,
    capabilities: leaf.capabilities,
    leafNodeSource: leafNodeSources.update,
    extensions: leaf.extensions,
    signature: await cs.signature.sign(state.signaturePrivateKey, signContent('LeafNodeTBS', tbs)),
  };
  return {
    proposal: { proposalType: defaultProposalTypes.update, update: { leafNode } },
    leafNode,
    newLeafPrivateKey: await cs.hpke.exportPrivateKey(keyPair.privateKey),
  };
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe('ts-mls rc.10 patch', () => {
  test('P1: a GroupContextExtensions-only commit and a single-Remove commit carry an UpdatePath; the removed member learns it was removed', async () => {
    let [a, b, c] = await makeGroup(['alice', 'bob', 'carol']);

    const rename = await createCommit({ context, state: a, extraProposals: [gce('renamed')], wireAsPublicMessage: true });
    expect(pathOf(rename.commit)).toBeDefined();
    a = rename.newState;
    b = await processed(b, rename.commit);
    c = await processed(c, rename.commit);
    expectSameEpoch([a, b, c]);
    expect(metaOf(b)).toEqual(utf8.encode('renamed'));

    const removal = await createCommit({ context, state: a, extraProposals: [remove(2)], wireAsPublicMessage: true });
    // without a path the commit secret is zero and carol, who still holds this epoch's init secret, could
    // derive the next epoch (RFC 9420 §12.4: Remove requires a path)
    expect(pathOf(removal.commit)).toBeDefined();
    a = removal.newState;
    b = await processed(b, removal.commit);
    expectSameEpoch([a, b]);
    const removed = await processed(c, removal.commit);
    expect(removed.groupActiveState.kind).toBe('removedFromGroup');
    expect(removed.keySchedule.epochAuthenticator).not.toEqual(a.keySchedule.epochAuthenticator);
    await exchange(a, [b], 'without carol');
  });

  test('P1: a received GroupContextExtensions commit without an UpdatePath is rejected as missing its path', async () => {
    const [a, b] = await makeGroup(['alice', 'bob']);
    const { commit } = await createCommit({ context, state: a, extraProposals: [gce('renamed')], wireAsPublicMessage: true });
    // control: re-signing as is keeps the commit acceptable, so the forgery below is authentic
    expect((await processed(b, await resign(commit, a, false))).groupContext.epoch).toBe(2n);
    const pathless = await resign(commit, a, true);
    expect(pathOf(pathless)).toBeUndefined();
    await expect(processMessage({ context, state: b, message: pathless })).rejects.toThrow(/Update path is required/);
  });

  test('P2+P3: Add + GroupContextExtensions in one commit, the new member taking a free slot left of an existing one: all agree and talk', async () => {
    // leaves: alice 0, bob 1, xavier 2, carol 3; removing xavier blanks leaf 2 and the parent of leaves 2-3
    const group = await makeGroup(['alice', 'bob', 'xavier', 'carol']);
    let [a, b, , c] = group;
    const x = group[2];
    const removal = await createCommit({ context, state: a, extraProposals: [remove(2)] });
    a = removal.newState;
    b = await processed(b, removal.commit);
    c = await processed(c, removal.commit);
    expect((await processed(x, removal.commit)).groupActiveState.kind).toBe('removedFromGroup');

    const dave = await member('dave');
    const addAndRename = await createCommit({
      context,
      state: a,
      extraProposals: [add(dave), gce('v1')],
      ratchetTreeExtension: true,
      wireAsPublicMessage: true,
    });
    a = addAndRename.newState;
    // P2: bob and carol decrypt the path under the group context that carries META = "v1".
    // P3: dave lands in leaf 2, so the copath resolution of the root is [dave, carol]; carol, who leaves
    // dave out as RFC 9420 §12.4.2 says, takes the first ciphertext, so it must be hers.
    b = await processed(b, addAndRename.commit);
    c = await processed(c, addAndRename.commit);
    // one ciphertext per path node (to bob, to carol), the count OpenMLS checks
    expect(pathOf(addAndRename.commit)?.nodes.map((n) => n.encryptedPathSecret.length)).toEqual([1, 1]);
    let d = await joinGroup({ context, welcome: addAndRename.welcome!.welcome, ...dave });
    expect(d.privatePath.leafIndex).toBe(2);
    expectSameEpoch([a, b, c, d]);
    expect(metaOf(d)).toEqual(utf8.encode('v1'));

    [d, [a, b, c]] = await exchange(d, [a, b, c], 'hello from dave');
    [c, [a, b, d]] = await exchange(c, [a, b, d], 'hello from carol');
    await exchange(a, [b, c, d], 'hello from alice');
  });

  test('P4: a committed Update proposal: the path is encrypted to the updated leaf key, which the updater holds', async () => {
    let [a, b, c] = await makeGroup(['alice', 'bob', 'carol']);
    const { proposal, leafNode, newLeafPrivateKey } = await updateProposal(b);
    const proposed = await createProposal({ context, state: b, proposal });
    // bob keeps the private key of his new leaf in place of the old one, as an updater must (ts-mls rc.10
    // has no Update API that would do this)
    const bobLeafNode = 2 * proposed.newState.privatePath.leafIndex;
    b = {
      ...proposed.newState,
      privatePath: { ...proposed.newState.privatePath, privateKeys: { ...proposed.newState.privatePath.privateKeys, [bobLeafNode]: newLeafPrivateKey } },
    };
    a = await processed(a, proposed.message);
    c = await processed(c, proposed.message);

    const commit = await createCommit({ context, state: a, wireAsPublicMessage: true });
    // the copath node of alice's first path node is bob's leaf, so one path secret goes to bob's new key
    expect(pathOf(commit.commit)?.nodes[0]?.encryptedPathSecret).toHaveLength(1);
    a = commit.newState;
    b = await processed(b, commit.commit);
    c = await processed(c, commit.commit);
    expectSameEpoch([a, b, c]);
    expect(getOwnLeafNode(b).hpkePublicKey).toEqual(leafNode.hpkePublicKey);
    await exchange(b, [a, c], 'hello from bob');
  });

  test('P5: external_pub carries its inner opaque<V> prefix (1 + 32 bytes for X25519) and an external join still works', async () => {
    let [a, b] = await makeGroup(['alice', 'bob']);
    const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(a, [], cs);
    const key = groupInfo.extensions.find((e) => e.extensionType === defaultExtensionTypes.external_pub)?.extensionData;
    if (!(key instanceof Uint8Array)) throw new Error('no external_pub');
    expect(key).toHaveLength(32);
    const bytes = encode(mlsMessageEncoder, { version: protocolVersions.mls10, wireformat: wireformats.mls_group_info, groupInfo });
    // extension_type 0x0004, extension_data<V> = 0x21 || (0x20 || key)
    expect(indexOf(bytes, concatBytes(u16(defaultExtensionTypes.external_pub), encodeVector(encodeVector(key))))).toBeGreaterThan(0);
    expect(indexOf(bytes, concatBytes(u16(defaultExtensionTypes.external_pub), encodeVector(key)))).toBe(-1);

    const decoded = decode(mlsMessageDecoder, bytes);
    if (decoded?.wireformat !== wireformats.mls_group_info) throw new Error('group info expected');
    expect(decoded.groupInfo.extensions.find((e) => e.extensionType === defaultExtensionTypes.external_pub)?.extensionData).toEqual(key);

    const erin = await member('erin');
    const joined = await joinGroupExternal({ context, groupInfo: decoded.groupInfo, ...erin, resync: false });
    const commit: MlsFramedMessage = { version: protocolVersions.mls10, wireformat: wireformats.mls_public_message, publicMessage: joined.publicMessage };
    a = await processed(a, commit);
    b = await processed(b, commit);
    expectSameEpoch([a, b, joined.newState]);
    await exchange(joined.newState, [a, b], 'hello from erin');
  });

  test('P6: ts-mls bundles into one ESM file with no dynamic import() of its own, which runs a group with ciphersuite 3', async () => {
    const out = await build({
      stdin: { contents: "export * from 'ts-mls';", resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const dynamicImports = Object.entries(out.metafile.inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => i.kind === 'dynamic-import').map((i) => `${file.replace(/^.*node_modules\//, '')} -> ${i.path}`),
    );
    expect(dynamicImports.filter((i) => i.startsWith('ts-mls/'))).toEqual([]);
    // The only one left is @hpke/common's Node <= 18 fallback, taken only where globalThis.crypto is missing
    // (never in a service worker); it is not part of ts-mls.
    expect(dynamicImports.every((i) => i.startsWith('@hpke/common/') && i.endsWith(' -> crypto'))).toBe(true);
    const code = out.outputFiles[0]!.text;
    expect(code.match(/\bimport\s*\([^)]*\)/g)).toEqual(['import("crypto")']);

    const dir = await mkdtemp(join(tmpdir(), 'ts-mls-bundle-'));
    try {
      const file = join(dir, 'ts-mls.mjs');
      await writeFile(file, code);
      const m = (await import(pathToFileURL(file).href)) as typeof TsMls;
      const suite = await m.getCiphersuiteImpl(SUITE);
      const ctx: MlsContext = { cipherSuite: suite, authService: m.unsafeTestingAuthenticationService };
      const kp = async (name: string) =>
        m.generateKeyPackage({ credential: { credentialType: 1, identity: utf8.encode(name) }, cipherSuite: suite });
      const alice = await kp('alice');
      const bob = await kp('bob');
      const group = await m.createGroup({ context: ctx, groupId: utf8.encode('bundled'), keyPackage: alice.publicPackage, privateKeyPackage: alice.privatePackage });
      const added = await m.createCommit({
        context: ctx,
        state: group,
        extraProposals: [{ proposalType: m.defaultProposalTypes.add, add: { keyPackage: bob.publicPackage } }],
        ratchetTreeExtension: true,
      });
      const bobState = await m.joinGroup({ context: ctx, welcome: added.welcome!.welcome, keyPackage: bob.publicPackage, privateKeys: bob.privatePackage });
      const sent = await m.createApplicationMessage({ context: ctx, state: added.newState, message: utf8.encode('bundled hello') });
      const received = await m.processMessage({ context: ctx, state: bobState, message: sent.message });
      expect(received.kind === 'applicationMessage' && fromUtf8.decode(received.message)).toBe('bundled hello');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
