import { create, toBinary } from '@bufbuild/protobuf';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyPackageDecoder } from 'ts-mls';
import { describe, expect, test } from 'vitest';
import { ConversationType, GroupMetadataV1Schema } from '../../gen/mls/message_contents/group_metadata_pb.js';
import { WelcomeWrapperEncryptionSchema } from '../../gen/mls/message_contents/wrapper_encryption_pb.js';
import { XmtpError } from '../errors.js';
import { libxmtpKeyPackage } from '../test-support/libxmtp-fixtures.js';
import { decodeVector, encodeVector } from './tls.js';
import {
  applicationIdExtension,
  capabilitiesSatisfy,
  decodeApplicationId,
  decodeImmutableMetadata,
  decodeWelcomePointeeAeadTypes,
  decodeWelcomeWrapperEncryption,
  encodeApplicationId,
  encodeImmutableMetadata,
  encodeWelcomePointeeAeadTypes,
  encodeWelcomeWrapperEncryption,
  immutableMetadataExtension,
  lastResortExtension,
  WelcomePointeeEncryptionAeadType,
  welcomePointeeAeadTypesExtension,
  WelcomeWrapperAlgorithm,
  welcomeWrapperEncryptionExtension,
  XmtpExtensionTypes,
  XmtpProposalTypes,
  xmtpGroupRequiredCapabilities,
  xmtpLeafCapabilities,
} from './xmtp-extensions.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

function libxmtpKp() {
  const [kp] = keyPackageDecoder(libxmtpKeyPackage(), 0)!;
  return kp;
}

interface FixtureGroup {
  label: string;
  extensions: { type: string; protobuf: string; extensionDataDerived: string }[];
}
function fixtureGroups(): FixtureGroup[] {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  return (JSON.parse(readFileSync(path.join(root, 'proto/fixtures/libxmtp-1.10.json'), 'utf8')) as { groups: FixtureGroup[] }).groups;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof XmtpError ? `${e.code}: ${e.message}` : `not an XmtpError: ${String(e)}`;
  }
  return 'no error';
}

describe('codepoints', () => {
  test('default: the §4.1 table', () => {
    expect(XmtpExtensionTypes).toMatchObject({
      applicationId: 0x0001,
      ratchetTree: 0x0002,
      requiredCapabilities: 0x0003,
      externalPub: 0x0004,
      externalSenders: 0x0005,
      appDataDictionary: 0x0006,
      lastResort: 0x000a,
      immutableMetadata: 0xf000,
      mutableMetadata: 0xff00,
      groupMembership: 0xff01,
      groupPermissions: 0xff02,
      welcomeWrapperEncryption: 0xff03,
      welcomePointeeEncryptionAeadTypes: 0xff04,
      retiredProposalSupport: 0xff05,
    });
    expect(XmtpProposalTypes).toEqual({ groupContextExtensions: 7, appDataUpdate: 8, appEphemeral: 9, selfRemove: 10 });
  });
});

describe('ApplicationId (0x0001)', () => {
  test('default: byte-identical to the leaf extension of a real libxmtp key package', () => {
    const kp = libxmtpKp();
    const ext = kp.leafNode.extensions[0]!;
    expect(ext.extensionType).toBe(1);
    const inboxId = decodeApplicationId(ext.extensionData);
    expect(inboxId).toMatch(/^[0-9a-f]{64}$/);
    expect(hex(encodeApplicationId(inboxId))).toBe(hex(ext.extensionData));
    expect(hex(encodeApplicationId(inboxId)).slice(0, 4)).toBe('4040');
    expect(applicationIdExtension(inboxId)).toEqual({ extensionType: 1, extensionData: ext.extensionData });
  });

  test('error: bare bytes without the inner length prefix (the T1 mistake), trailing bytes, bad UTF-8', () => {
    const inbox = new TextEncoder().encode('ab'.repeat(32));
    expect(codeOf(() => decodeApplicationId(inbox))).toMatch(/mls\.invalid_extension/);
    expect(codeOf(() => decodeApplicationId(Uint8Array.of(...encodeVector(inbox), 0)))).toMatch(/1 trailing bytes/);
    expect(codeOf(() => decodeApplicationId(encodeVector(Uint8Array.of(0xff, 0xfe))))).toMatch(/not UTF-8/);
  });
});

describe('ImmutableMetadata (0xF000)', () => {
  test('default: reproduces libxmtp group contexts (group and DM): varint length ‖ GroupMetadataV1', () => {
    const seen = new Set<string>();
    for (const group of fixtureGroups()) {
      const ext = group.extensions.find((e) => e.type === '0xf000')!;
      const metadata = decodeImmutableMetadata(unhex(ext.extensionDataDerived));
      expect(hex(toBinary(GroupMetadataV1Schema, metadata))).toBe(ext.protobuf);
      expect(hex(encodeImmutableMetadata(metadata))).toBe(ext.extensionDataDerived);
      seen.add(ConversationType[metadata.conversationType]);
    }
    expect([...seen].sort()).toEqual(['DM', 'GROUP']);
  });

  test('behavior: a GroupMetadataV1 round trip; 68-byte protobuf gets the 0x40 0x44 prefix', () => {
    const creatorInboxId = 'cd'.repeat(32);
    const ext = immutableMetadataExtension({ conversationType: ConversationType.GROUP, creatorInboxId });
    expect(ext.extensionType).toBe(0xf000);
    expect(hex(ext.extensionData).slice(0, 4)).toBe('4044');
    const back = decodeImmutableMetadata(ext.extensionData);
    expect(back.conversationType).toBe(ConversationType.GROUP);
    expect(back.creatorInboxId).toBe(creatorInboxId);
    expect(back.creatorAccountAddress).toBe('');
  });

  test('error: the unprefixed protobuf is refused', () => {
    const proto = toBinary(GroupMetadataV1Schema, create(GroupMetadataV1Schema, { conversationType: ConversationType.DM, creatorInboxId: 'ab'.repeat(32) }));
    expect(codeOf(() => decodeImmutableMetadata(proto))).toMatch(/mls\.invalid_extension/);
  });
});

describe('last resort (0x000A)', () => {
  test('default: empty, as in libxmtp key packages', () => {
    const theirs = libxmtpKp().extensions[0]!;
    expect(theirs.extensionType).toBe(0x000a);
    expect(lastResortExtension()).toMatchObject({ extensionType: 0x000a, extensionData: theirs.extensionData });
  });
});

describe('WelcomeWrapperEncryption (0xFF03)', () => {
  test('default: byte-identical to the 0xFF03 of a real libxmtp key package (raw protobuf, no inner prefix)', () => {
    const theirs = libxmtpKp().extensions.find((e) => e.extensionType === 0xff03)!;
    const info = decodeWelcomeWrapperEncryption(theirs.extensionData);
    expect(info.algorithm).toBe(WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6);
    expect(info.pubKey).toHaveLength(1216);
    expect(hex(encodeWelcomeWrapperEncryption(info))).toBe(hex(theirs.extensionData));
    expect(hex(welcomeWrapperEncryptionExtension(info.pubKey).extensionData)).toBe(hex(theirs.extensionData));
  });

  test('behavior: read as libxmtp reads it: unspecified and unknown algorithms mean Curve25519', () => {
    const pubKey = new Uint8Array(32).fill(7);
    for (const algorithm of [0, 1, 99]) {
      const bytes = toBinary(WelcomeWrapperEncryptionSchema, create(WelcomeWrapperEncryptionSchema, { pubKey, algorithm }));
      expect(decodeWelcomeWrapperEncryption(bytes)).toEqual({ pubKey, algorithm: WelcomeWrapperAlgorithm.CURVE25519 });
    }
  });

  test('error: SYMMETRIC_KEY, garbage, a wrong-size X-Wing key', () => {
    const sym = toBinary(WelcomeWrapperEncryptionSchema, create(WelcomeWrapperEncryptionSchema, { pubKey: new Uint8Array(32), algorithm: 3 }));
    expect(codeOf(() => decodeWelcomeWrapperEncryption(sym))).toMatch(/SYMMETRIC_KEY/);
    expect(codeOf(() => decodeWelcomeWrapperEncryption(Uint8Array.of(0xff, 0xff, 0xff)))).toMatch(/mls\.invalid_extension/);
    expect(codeOf(() => welcomeWrapperEncryptionExtension(new Uint8Array(1184)))).toMatch(/mls\.invalid_key: .*1216/);
  });
});

describe('WelcomePointeeEncryptionAeadTypes (0xFF04)', () => {
  test('default: byte-identical to libxmtp (0a 01 03)', () => {
    const theirs = libxmtpKp().extensions.find((e) => e.extensionType === 0xff04)!;
    expect(hex(theirs.extensionData)).toBe('0a0103');
    expect(hex(welcomePointeeAeadTypesExtension().extensionData)).toBe('0a0103');
    expect(decodeWelcomePointeeAeadTypes(theirs.extensionData)).toEqual([WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305]);
    expect(decodeWelcomePointeeAeadTypes(new Uint8Array())).toEqual([]);
  });

  test('error: unknown or unspecified AEAD types are refused, as libxmtp does', () => {
    expect(codeOf(() => decodeWelcomePointeeAeadTypes(encodeWelcomePointeeAeadTypes([0 as WelcomePointeeEncryptionAeadType])))).toMatch(/unsupported AEAD type 0/);
    expect(codeOf(() => decodeWelcomePointeeAeadTypes(encodeWelcomePointeeAeadTypes([3, 7 as WelcomePointeeEncryptionAeadType])))).toMatch(/unsupported AEAD type 7/);
  });
});

describe('capabilities', () => {
  test('default: the leaf capabilities equal libxmtp 1.10 (versions, suites, extensions in order, proposals, credentials)', () => {
    expect(xmtpLeafCapabilities()).toEqual(libxmtpKp().leafNode.capabilities);
  });

  test('behavior: no AppDataDictionary (0x0006) or AppDataUpdate (8), no GREASE', () => {
    const caps = xmtpLeafCapabilities();
    expect(caps.extensions).not.toContain(0x0006);
    expect(caps.proposals).toEqual([7]);
    expect([...caps.extensions, ...caps.proposals, ...caps.credentials, ...caps.ciphersuites].filter((v) => (v & 0x0f0f) === 0x0a0a)).toEqual([]);
  });

  test('default: the group RequiredCapabilities of §5.1, which our leaf and libxmtp leaves satisfy', () => {
    const required = xmtpGroupRequiredCapabilities();
    expect(required).toEqual({ extensionTypes: [0xff01, 0xff00, 0xff02, 0xf000, 0x000a, 0x0001], proposalTypes: [7], credentialTypes: [1] });
    expect(capabilitiesSatisfy(xmtpLeafCapabilities(), required)).toBe(true);
    expect(capabilitiesSatisfy(libxmtpKp().leafNode.capabilities, required)).toBe(true);
  });

  test('error: a leaf missing a required extension does not satisfy them', () => {
    const caps = xmtpLeafCapabilities();
    expect(capabilitiesSatisfy({ ...caps, extensions: caps.extensions.filter((e) => e !== 0xff01) }, xmtpGroupRequiredCapabilities())).toBe(false);
    expect(capabilitiesSatisfy({ ...caps, credentials: [2] }, xmtpGroupRequiredCapabilities())).toBe(false);
  });

  test('behavior: returns fresh arrays (callers may not corrupt the constants)', () => {
    xmtpLeafCapabilities().extensions.push(0x1234);
    expect(xmtpLeafCapabilities().extensions).not.toContain(0x1234);
  });
});

describe('decodeVector', () => {
  test('default: reads what encodeVector writes, at every prefix size', () => {
    for (const n of [0, 1, 63, 64, 16383, 16384]) {
      const data = new Uint8Array(n).fill(5);
      const framed = Uint8Array.of(9, ...encodeVector(data), 1);
      const read = decodeVector(framed, 1)!;
      expect(read[0]).toEqual(data);
      expect(read[1]).toBe(framed.length - 1);
    }
  });

  test('error: non-minimal prefixes, the reserved 0b11 prefix, truncation', () => {
    expect(decodeVector(Uint8Array.of(0x40, 0x01, 0xaa))).toBeUndefined();
    expect(decodeVector(Uint8Array.of(0xc0, 0, 0, 0, 0, 0, 0, 0))).toBeUndefined();
    expect(decodeVector(Uint8Array.of(0x05, 1, 2))).toBeUndefined();
    expect(decodeVector(Uint8Array.of(0x40))).toBeUndefined();
    expect(decodeVector(new Uint8Array())).toBeUndefined();
  });
});
