import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { XWing } from '@hpke/hybridkem-x-wing';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import {
  createCommit,
  createGroup,
  defaultProposalTypes,
  getCiphersuiteImpl,
  joinGroup,
  keyPackageDecoder,
  makeCustomExtension,
  unsafeTestingAuthenticationService,
  type CiphersuiteImpl,
  type KeyPackage,
  type MlsContext,
} from 'ts-mls';
import { beforeAll, describe, expect, test } from 'vitest';
import { MlsCredentialSchema } from '../../gen/identity/credential_pb.js';
import { ConversationType } from '../../gen/mls/message_contents/group_metadata_pb.js';
import { XmtpError } from '../errors.js';
import { libxmtpKeyPackage } from '../test-support/libxmtp-fixtures.js';
import {
  createXmtpKeyPackage,
  decodeKeyPackageSecrets,
  encodeKeyPackageSecrets,
  KEY_PACKAGE_LIFETIME_SECONDS,
  keyPackageRotationDue,
  toPrivateKeyPackage,
  type CreateXmtpKeyPackageReturnType,
} from './create-key-package.js';
import { parseKeyPackage, verifyKeyPackage } from './key-package.js';
import {
  capabilitiesSatisfy,
  decodeApplicationId,
  decodeWelcomePointeeAeadTypes,
  decodeWelcomeWrapperEncryption,
  immutableMetadataExtension,
  WelcomePointeeEncryptionAeadType,
  WelcomeWrapperAlgorithm,
  xmtpGroupRequiredCapabilities,
} from './xmtp-extensions.js';

const NOW = 1_800_000_000;
const INBOX = '1f25de476c59279fff6ebf48255a09d1c6b59db2ac659ebf1342031f8a772c8c';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function xwingPublicKey(): Promise<Uint8Array> {
  const kem = new XWing();
  const { publicKey } = await kem.generateKeyPair();
  return new Uint8Array(await kem.serializePublicKey(publicKey));
}

function decode(bytes: Uint8Array): KeyPackage {
  const decoded = keyPackageDecoder(bytes, 0);
  if (!decoded || decoded[1] !== bytes.length) throw new Error('does not decode as exactly one KeyPackage');
  return decoded[0];
}

async function rejection(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (e) {
    return e instanceof XmtpError ? `${e.code}: ${e.message}` : `not an XmtpError: ${String(e)}`;
  }
  return 'no error';
}

describe('createXmtpKeyPackage', () => {
  const seed = ed25519.utils.randomSecretKey();
  let full: CreateXmtpKeyPackageReturnType; // with 0xFF03 and 0xFF04, like libxmtp's
  let xwing: Uint8Array;
  beforeAll(async () => {
    xwing = await xwingPublicKey();
    full = await createXmtpKeyPackage({ inboxId: INBOX, installationSecretKey: seed, welcomeWrapperPublicKey: xwing, pointerAead: true, now: NOW });
  });

  test('default: our verifyKeyPackage (the node\'s check) accepts it, with the installation key as the leaf signature key', () => {
    const parsed = verifyKeyPackage(full.keyPackage, { nowSeconds: NOW });
    expect(parsed.inboxId).toBe(INBOX);
    expect(parsed.installationKey).toEqual(ed25519.getPublicKey(seed));
    expect(full.installationKey).toEqual(parsed.installationKey);
    expect(full.initKey).toEqual(parsed.initKey);
    expect(full.decoded).toEqual(decode(full.keyPackage));
    // valid for its whole lifetime, not outside it
    expect(() => verifyKeyPackage(full.keyPackage, { nowSeconds: NOW - 3600 })).not.toThrow();
    expect(() => verifyKeyPackage(full.keyPackage, { nowSeconds: NOW + KEY_PACKAGE_LIFETIME_SECONDS })).not.toThrow();
    expect(() => verifyKeyPackage(full.keyPackage, { nowSeconds: NOW - 3601 })).toThrow(/not valid before/);
    expect(() => verifyKeyPackage(full.keyPackage, { nowSeconds: NOW + KEY_PACKAGE_LIFETIME_SECONDS + 1 })).toThrow(/expired/);
  });

  test('default: field by field, the same structure as a real libxmtp 1.10 key package', () => {
    const theirs = decode(libxmtpKeyPackage());
    const ours = decode(full.keyPackage);

    // header
    expect(ours.version).toBe(theirs.version);
    expect(ours.version).toBe(1);
    expect(ours.cipherSuite).toBe(theirs.cipherSuite);
    expect(ours.cipherSuite).toBe(3);
    expect(ours.initKey).toHaveLength(theirs.initKey.length);
    expect(ours.signature).toHaveLength(theirs.signature.length);

    // KeyPackage extensions: same types, same order, same encodings
    const types = (kp: KeyPackage) => kp.extensions.map((e) => e.extensionType);
    expect(types(ours)).toEqual(types(theirs));
    expect(types(ours)).toEqual([0x000a, 0xff04, 0xff03]);
    const ext = (kp: KeyPackage, t: number) => kp.extensions.find((e) => e.extensionType === t)!.extensionData;
    expect(ext(ours, 0x000a)).toEqual(ext(theirs, 0x000a)); // empty
    expect(hex(ext(ours, 0xff04))).toBe(hex(ext(theirs, 0xff04))); // 0a 01 03
    expect(decodeWelcomePointeeAeadTypes(ext(ours, 0xff04))).toEqual([WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305]);
    const ourWrapper = decodeWelcomeWrapperEncryption(ext(ours, 0xff03));
    const theirWrapper = decodeWelcomeWrapperEncryption(ext(theirs, 0xff03));
    expect(ourWrapper.algorithm).toBe(theirWrapper.algorithm);
    expect(ourWrapper.algorithm).toBe(WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6);
    expect(ourWrapper.pubKey).toEqual(xwing);
    expect(ourWrapper.pubKey).toHaveLength(theirWrapper.pubKey.length);
    // same protobuf layout: field 1 (1216 bytes), then field 2 = 2
    expect(hex(ext(ours, 0xff03)).slice(0, 6)).toBe(hex(ext(theirs, 0xff03)).slice(0, 6));
    expect(hex(ext(ours, 0xff03)).slice(-4)).toBe(hex(ext(theirs, 0xff03)).slice(-4));

    // leaf node
    const [ol, tl] = [ours.leafNode, theirs.leafNode];
    expect(ol.leafNodeSource).toBe(tl.leafNodeSource);
    expect(ol.hpkePublicKey).toHaveLength(tl.hpkePublicKey.length);
    expect(ol.signaturePublicKey).toHaveLength(tl.signaturePublicKey.length);
    expect(ol.signature).toHaveLength(tl.signature.length);
    expect(ol.extensions.map((e) => e.extensionType)).toEqual(tl.extensions.map((e) => e.extensionType));
    expect(ol.extensions.map((e) => e.extensionType)).toEqual([0x0001]);
    // ApplicationId: 0x40 0x40 + the 64 ASCII characters of the inbox id, in both
    for (const leaf of [ol, tl]) {
      const data = leaf.extensions[0]!.extensionData;
      expect(data).toHaveLength(66);
      expect(hex(data.subarray(0, 2))).toBe('4040');
      expect(new TextDecoder().decode(data.subarray(2))).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(decodeApplicationId(ol.extensions[0]!.extensionData)).toBe(INBOX);

    // credential: Basic, identity = MlsCredential { inbox_id } and nothing else (0a 40 + 64 ASCII)
    expect(ol.credential.credentialType).toBe(tl.credential.credentialType);
    expect(ol.credential.credentialType).toBe(1);
    if (!('identity' in ol.credential) || !('identity' in tl.credential)) throw new Error('not Basic');
    for (const identity of [ol.credential.identity, tl.credential.identity]) {
      expect(identity).toHaveLength(66);
      expect(hex(identity.subarray(0, 2))).toBe('0a40');
      expect(toBinary(MlsCredentialSchema, fromBinary(MlsCredentialSchema, identity))).toEqual(identity); // no other fields
    }
    expect(fromBinary(MlsCredentialSchema, ol.credential.identity).inboxId).toBe(INBOX);
    // libxmtp ties the credential and the ApplicationId to the same inbox id; so do we
    expect(decodeApplicationId(tl.extensions[0]!.extensionData)).toBe(fromBinary(MlsCredentialSchema, tl.credential.identity).inboxId);

    // lifetime: same span (OpenMLS default: 1 h back, 84 days ahead)
    if (ol.leafNodeSource !== 1 || tl.leafNodeSource !== 1) throw new Error('not key-package leaves');
    expect(ol.lifetime.notAfter - ol.lifetime.notBefore).toBe(tl.lifetime.notAfter - tl.lifetime.notBefore);
    expect(ol.lifetime).toEqual({ notBefore: BigInt(NOW - 3600), notAfter: BigInt(NOW + 84 * 24 * 3600) });

    // capabilities: identical to libxmtp's, hence a superset of the group RequiredCapabilities
    expect(ol.capabilities).toEqual(tl.capabilities);
    expect(capabilitiesSatisfy(ol.capabilities, xmtpGroupRequiredCapabilities())).toBe(true);

    // every length above is equal, so the whole key package is the same size (1659 bytes)
    expect(full.keyPackage).toHaveLength(libxmtpKeyPackage().length);
  });

  test('behavior: without a wrapper key or pointer support, only last_resort; welcomes then wrap to the init key with Curve25519', async () => {
    const plain = await createXmtpKeyPackage({ inboxId: INBOX, installationSecretKey: seed, now: NOW });
    const kp = decode(plain.keyPackage);
    expect(kp.extensions.map((e) => e.extensionType)).toEqual([0x000a]);
    expect(plain.welcomeWrapper).toEqual({ algorithm: WelcomeWrapperAlgorithm.CURVE25519, publicKey: kp.initKey });
    expect(verifyKeyPackage(plain.keyPackage, { nowSeconds: NOW }).inboxId).toBe(INBOX);
    // same installation, fresh HPKE keys every time
    expect(plain.installationKey).toEqual(full.installationKey);
    expect(plain.initKey).not.toEqual(full.initKey);

    const pq = await createXmtpKeyPackage({ inboxId: INBOX, installationSecretKey: seed, welcomeWrapperPublicKey: xwing, now: NOW });
    expect(decode(pq.keyPackage).extensions.map((e) => e.extensionType)).toEqual([0x000a, 0xff03]);
    expect(pq.welcomeWrapper).toEqual({ algorithm: WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6, publicKey: xwing });

    const pointers = await createXmtpKeyPackage({ inboxId: INBOX, installationSecretKey: seed, pointerAead: true, now: NOW });
    expect(decode(pointers.keyPackage).extensions.map((e) => e.extensionType)).toEqual([0x000a, 0xff04]);
  });

  test('behavior: the secrets are the X25519 keys of init_key and the leaf encryption key, and survive storage', () => {
    const { secrets } = full;
    expect(x25519.getPublicKey(secrets.initPrivateKey)).toEqual(full.initKey);
    expect(x25519.getPublicKey(secrets.encryptionPrivateKey)).toEqual(full.decoded.leafNode.hpkePublicKey);
    const stored = encodeKeyPackageSecrets(secrets);
    expect(stored).toHaveLength(67);
    expect(hex(stored.subarray(0, 2))).toBe('0120');
    expect(decodeKeyPackageSecrets(stored)).toEqual(secrets);
    expect(toPrivateKeyPackage(secrets, seed)).toEqual({ initPrivateKey: secrets.initPrivateKey, hpkePrivateKey: secrets.encryptionPrivateKey, signaturePrivateKey: seed });
  });

  test('behavior: a ts-mls XMTP group (RequiredCapabilities of §5.1) adds the key package, and its owner joins with the secrets', async () => {
    const cipherSuite: CiphersuiteImpl = await getCiphersuiteImpl('MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519');
    const context: MlsContext = { cipherSuite, authService: unsafeTestingAuthenticationService };
    const creatorSeed = ed25519.utils.randomSecretKey();
    const creatorInbox = 'cd'.repeat(32);
    const now = Math.floor(Date.now() / 1000); // ts-mls checks lifetimes against the real clock
    const creator = await createXmtpKeyPackage({ inboxId: creatorInbox, installationSecretKey: creatorSeed, now, cipherSuite });
    const joiner = await createXmtpKeyPackage({ inboxId: INBOX, installationSecretKey: seed, welcomeWrapperPublicKey: xwing, pointerAead: true, now });
    let state = await createGroup({
      context,
      groupId: new Uint8Array(16).fill(1),
      keyPackage: creator.decoded,
      privateKeyPackage: toPrivateKeyPackage(creator.secrets, creatorSeed),
      extensions: [
        immutableMetadataExtension({ conversationType: ConversationType.GROUP, creatorInboxId: creatorInbox }),
        makeCustomExtension({ extensionType: 0xff00, extensionData: new Uint8Array() }),
        makeCustomExtension({ extensionType: 0xff02, extensionData: new Uint8Array() }),
        { extensionType: 3, extensionData: xmtpGroupRequiredCapabilities() },
        makeCustomExtension({ extensionType: 0xff01, extensionData: new Uint8Array() }),
      ],
    });
    const { welcome, newState } = await createCommit({
      context,
      state,
      extraProposals: [{ proposalType: defaultProposalTypes.add, add: { keyPackage: joiner.decoded } }],
      ratchetTreeExtension: true,
    });
    state = newState;
    if (!welcome) throw new Error('no welcome');
    const joined = await joinGroup({ context, welcome: welcome.welcome, keyPackage: joiner.decoded, privateKeys: toPrivateKeyPackage(joiner.secrets, seed) });
    expect(joined.groupContext.epoch).toBe(state.groupContext.epoch);
    expect(joined.groupContext.groupId).toEqual(state.groupContext.groupId);
  });

  test('error: malformed parameters', async () => {
    const ok = { inboxId: INBOX, installationSecretKey: seed, now: NOW };
    expect(await rejection(() => createXmtpKeyPackage({ ...ok, inboxId: INBOX.toUpperCase() }))).toMatch(/mls\.invalid_key_package_parameters: inboxId/);
    expect(await rejection(() => createXmtpKeyPackage({ ...ok, installationSecretKey: new Uint8Array(64) }))).toMatch(/32-byte Ed25519 seed, got 64/);
    expect(await rejection(() => createXmtpKeyPackage({ ...ok, welcomeWrapperPublicKey: new Uint8Array(32) }))).toMatch(/1216-byte X-Wing public key, got 32/);
    expect(await rejection(() => createXmtpKeyPackage({ ...ok, now: Date.now() / 1000 + 0.5 }))).toMatch(/unix seconds/);
  });

  test('error: stored secrets that are truncated, padded or of another version', () => {
    const stored = encodeKeyPackageSecrets(full.secrets);
    expect(() => decodeKeyPackageSecrets(stored.subarray(0, 66))).toThrow(/malformed/);
    expect(() => decodeKeyPackageSecrets(Uint8Array.of(...stored, 0))).toThrow(/1 trailing bytes/);
    expect(() => decodeKeyPackageSecrets(Uint8Array.of(2, ...stored.subarray(1)))).toThrow(/version 2/);
    expect(() => decodeKeyPackageSecrets(Uint8Array.of(1, 1, 0, 1, 0))).toThrow(/32-byte/);
  });

  test('behavior: the parsed node view of our key package matches the creation result', () => {
    const parsed = parseKeyPackage(full.keyPackage);
    expect(Number(parsed.notBefore)).toBe(full.notBefore);
    expect(Number(parsed.notAfter)).toBe(full.notAfter);
  });
});

describe('keyPackageRotationDue (libxmtp 1.10 schedule)', () => {
  const DAY = 86_400;
  test('default: 30 days after the upload', () => {
    expect(keyPackageRotationDue({ now: NOW + 29 * DAY, uploadedAt: NOW })).toEqual({ due: false, rotateAt: NOW + 30 * DAY, reason: 'interval' });
    expect(keyPackageRotationDue({ now: NOW + 30 * DAY, uploadedAt: NOW })).toEqual({ due: true, rotateAt: NOW + 30 * DAY, reason: 'interval' });
  });

  test('behavior: nothing uploaded yet: due now', () => {
    expect(keyPackageRotationDue({ now: NOW, uploadedAt: undefined })).toEqual({ due: true, rotateAt: NOW, reason: 'no_key_package' });
  });

  test('behavior: 5 seconds after a welcome sync that received welcomes (the key package was used)', () => {
    const p = { uploadedAt: NOW, welcomesReceivedAt: NOW + DAY };
    expect(keyPackageRotationDue({ ...p, now: NOW + DAY + 4 })).toEqual({ due: false, rotateAt: NOW + DAY + 5, reason: 'welcome_received' });
    expect(keyPackageRotationDue({ ...p, now: NOW + DAY + 5 }).due).toBe(true);
  });

  test('behavior: welcomes received before the current upload do not count; a rotation after them resets the clock', () => {
    expect(keyPackageRotationDue({ now: NOW + 10, uploadedAt: NOW, welcomesReceivedAt: NOW - 1 })).toEqual({ due: false, rotateAt: NOW + 30 * DAY, reason: 'interval' });
  });

  test('behavior: a welcome in the last 5 s before the interval ends does not delay the interval', () => {
    const r = keyPackageRotationDue({ now: NOW + 30 * DAY, uploadedAt: NOW, welcomesReceivedAt: NOW + 30 * DAY - 2 });
    expect(r).toEqual({ due: true, rotateAt: NOW + 30 * DAY, reason: 'interval' });
  });
});
