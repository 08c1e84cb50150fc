import {
  createApplicationMessage,
  createCommit,
  createGroup,
  CryptoError,
  defaultCapabilities,
  defaultProposalTypes,
  generateKeyPackage,
  getCiphersuiteImpl,
  joinGroup,
  makeCustomExtension,
  processMessage,
  unsafeTestingAuthenticationService,
  type CiphersuiteImpl,
  type ClientState,
  type MlsContext,
  type MlsFramedMessage,
} from 'ts-mls';
import { beforeAll, describe, expect, test } from 'vitest';
import { xmtpCiphersuite } from './xmtp-ciphersuite.js';

const utf8 = new TextEncoder();
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 17 + seed) & 0xff);
let reference: CiphersuiteImpl;
const ours = xmtpCiphersuite();

beforeAll(async () => {
  reference = await getCiphersuiteImpl('MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519');
});

const contextOf = (cipherSuite: CiphersuiteImpl): MlsContext => ({ cipherSuite, authService: unsafeTestingAuthenticationService });

describe('xmtpCiphersuite', () => {
  test('default: hash, MAC, HKDF and Ed25519 outputs equal ts-mls’s default provider', async () => {
    expect(ours.id).toBe(reference.id);
    for (const n of [0, 1, 100, 4095, 4096, 70_000]) expect(await ours.hash.digest(bytes(n))).toEqual(await reference.hash.digest(bytes(n)));
    const key = bytes(32, 3);
    expect(await ours.hash.mac(key, bytes(200))).toEqual(await reference.hash.mac(key, bytes(200)));
    const mac = await reference.hash.mac(key, bytes(10));
    expect(await ours.hash.verifyMac(key, mac, bytes(10))).toBe(true);
    expect(await ours.hash.verifyMac(key, mac.subarray(1), bytes(10))).toBe(false);
    expect(await ours.hash.verifyMac(key, mac, bytes(11))).toBe(false);
    const prk = await ours.kdf.extract(bytes(32, 4), bytes(32, 5));
    expect(prk).toEqual(await reference.kdf.extract(bytes(32, 4), bytes(32, 5)));
    expect(await ours.kdf.extract(new Uint8Array(0), bytes(32, 5))).toEqual(await reference.kdf.extract(new Uint8Array(0), bytes(32, 5)));
    expect(await ours.kdf.expand(prk, bytes(20), 75)).toEqual(await reference.kdf.expand(prk, bytes(20), 75));
    const { signKey, publicKey } = await ours.signature.keygen();
    const signature = await ours.signature.sign(signKey, bytes(64));
    expect(signature).toEqual(await reference.signature.sign(signKey, bytes(64)));
    expect(await reference.signature.verify(publicKey, bytes(64), signature)).toBe(true);
    const theirs = await reference.signature.keygen(); // PKCS#8 signing keys, as WebCrypto exports them
    expect(await ours.signature.sign(theirs.signKey, bytes(5))).toEqual(await reference.signature.sign(theirs.signKey, bytes(5)));
  });

  test('default: HPKE interoperates with the default provider both ways (seal/open, exporter, derived keys)', async () => {
    const pair = await reference.hpke.deriveKeyPair(bytes(32, 6));
    const mine = await ours.hpke.deriveKeyPair(bytes(32, 6));
    expect(await ours.hpke.exportPrivateKey(mine.privateKey)).toEqual(await reference.hpke.exportPrivateKey(pair.privateKey));
    expect(await ours.hpke.exportPublicKey(mine.publicKey)).toEqual(await reference.hpke.exportPublicKey(pair.publicKey));
    const pk = await reference.hpke.exportPublicKey(pair.publicKey);
    const sk = await reference.hpke.exportPrivateKey(pair.privateKey);
    const info = bytes(1000, 2);

    const sealed = await ours.hpke.seal(await ours.hpke.importPublicKey(pk), bytes(77), info);
    expect(await reference.hpke.open(await reference.hpke.importPrivateKey(sk), sealed.enc, sealed.ct, info)).toEqual(bytes(77));
    const theirs = await reference.hpke.seal(await reference.hpke.importPublicKey(pk), bytes(78), info, bytes(3));
    expect(await ours.hpke.open(await ours.hpke.importPrivateKey(sk), theirs.enc, theirs.ct, info, bytes(3))).toEqual(bytes(78));

    const exported = await ours.hpke.exportSecret(await ours.hpke.importPublicKey(pk), bytes(12), 32, info);
    expect(await reference.hpke.importSecret(await reference.hpke.importPrivateKey(sk), bytes(12), exported.enc, 32, info)).toEqual(exported.secret);

    const generated = await ours.hpke.generateKeyPair();
    const sealedToGenerated = await reference.hpke.seal(await reference.hpke.importPublicKey(await ours.hpke.exportPublicKey(generated.publicKey)), bytes(5), info);
    expect(await ours.hpke.open(generated.privateKey, sealedToGenerated.enc, sealedToGenerated.ct, info)).toEqual(bytes(5));

    const ct = await ours.hpke.encryptAead(bytes(32), bytes(12), bytes(4), bytes(40));
    expect(ct).toEqual(await reference.hpke.encryptAead(bytes(32), bytes(12), bytes(4), bytes(40)));
    expect(await ours.hpke.decryptAead(bytes(32), bytes(12), bytes(4), ct)).toEqual(bytes(40));
  });

  test('error: failures are ts-mls CryptoErrors where the default provider throws them', async () => {
    const pair = await ours.hpke.generateKeyPair();
    const sealed = await ours.hpke.seal(pair.publicKey, bytes(10), bytes(3));
    const tampered = sealed.ct.slice();
    tampered[0]! ^= 1;
    await expect(ours.hpke.open(pair.privateKey, sealed.enc, tampered, bytes(3))).rejects.toBeInstanceOf(CryptoError);
    await expect(ours.hpke.open(pair.privateKey, sealed.enc.subarray(1), sealed.ct, bytes(3))).rejects.toBeInstanceOf(CryptoError);
    await expect(ours.hpke.open(pair.privateKey, new Uint8Array(32), sealed.ct, bytes(3))).rejects.toBeInstanceOf(CryptoError);
    await expect(ours.hpke.importPublicKey(bytes(31))).rejects.toBeInstanceOf(CryptoError);
    await expect(ours.hpke.decryptAead(bytes(32), bytes(12), undefined, bytes(40))).rejects.toBeInstanceOf(CryptoError);
  });

  test('behavior: one MLS group, members on either provider: join, commits with paths and messages both ways', async () => {
    const META = 0xff00;
    const member = async (name: string, cs: CiphersuiteImpl) => {
      const caps = defaultCapabilities();
      const { publicPackage, privatePackage } = await generateKeyPackage({
        credential: { credentialType: 1, identity: utf8.encode(name) },
        capabilities: { ...caps, extensions: [...caps.extensions, META] },
        cipherSuite: cs,
      });
      return { keyPackage: publicPackage, privateKeys: privatePackage };
    };
    const alice = await member('alice', ours);
    const bob = await member('bob', reference);
    const carol = await member('carol', ours);
    let a: ClientState = await createGroup({ context: contextOf(ours), groupId: utf8.encode('g'), keyPackage: alice.keyPackage, privateKeyPackage: alice.privateKeys, extensions: [makeCustomExtension({ extensionType: META, extensionData: utf8.encode('v0') })] });
    const add = await createCommit({
      context: contextOf(ours),
      state: a,
      extraProposals: [bob, carol].map((m) => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: m.keyPackage } })),
      ratchetTreeExtension: true,
    });
    a = add.newState;
    let b = await joinGroup({ context: contextOf(reference), welcome: add.welcome!.welcome, ...bob });
    let c = await joinGroup({ context: contextOf(ours), welcome: add.welcome!.welcome, ...carol });

    const apply = async (state: ClientState, cs: CiphersuiteImpl, message: MlsFramedMessage) => {
      const r = await processMessage({ context: contextOf(cs), state, message });
      if (r.kind !== 'newState') throw new Error('expected a new state');
      return r;
    };
    // Bob (default provider) commits with a path (a GCE requires one); Alice and Carol (ours) follow.
    const gce = await createCommit({
      context: contextOf(reference),
      state: b,
      extraProposals: [{ proposalType: defaultProposalTypes.group_context_extensions, groupContextExtensions: { extensions: [makeCustomExtension({ extensionType: META, extensionData: utf8.encode('v1') })] } }],
    });
    b = gce.newState;
    a = (await apply(a, ours, gce.commit)).newState;
    c = (await apply(c, ours, gce.commit)).newState;
    // Carol (ours) commits an empty commit with a path; Bob follows.
    const empty = await createCommit({ context: contextOf(ours), state: c });
    c = empty.newState;
    a = (await apply(a, ours, empty.commit)).newState;
    b = (await apply(b, reference, empty.commit)).newState;
    for (const s of [b, c]) {
      expect(s.groupContext).toEqual(a.groupContext);
      expect(s.keySchedule.exporterSecret).toEqual(a.keySchedule.exporterSecret);
    }
    // Messages both ways.
    const read = async (state: ClientState, cs: CiphersuiteImpl, message: MlsFramedMessage) => {
      const r = await processMessage({ context: contextOf(cs), state, message });
      if (r.kind !== 'applicationMessage') throw new Error('expected an application message');
      return r;
    };
    const fromA = await createApplicationMessage({ context: contextOf(ours), state: a, message: utf8.encode('hi from ours') });
    const atB = await read(b, reference, fromA.message);
    expect(atB.message).toEqual(utf8.encode('hi from ours'));
    const fromB = await createApplicationMessage({ context: contextOf(reference), state: atB.newState, message: utf8.encode('hi from default') });
    expect((await read(fromA.newState, ours, fromB.message)).message).toEqual(utf8.encode('hi from default'));
    expect((await read(c, ours, fromB.message)).message).toEqual(utf8.encode('hi from default'));
  });
});
