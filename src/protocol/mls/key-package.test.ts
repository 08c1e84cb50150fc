import { toBinary } from '@bufbuild/protobuf';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  encode,
  generateKeyPackageWithKey,
  getCiphersuiteImpl,
  keyPackageEncoder,
  makeCustomExtension,
  type CustomExtension,
  type KeyPackage,
  type LeafNodeExtension,
} from 'ts-mls';
import { beforeAll, describe, expect, test } from 'vitest';
import { MlsCredentialSchema } from '../../gen/identity/credential_pb.js';
import { XmtpError } from '../errors.js';
import { libxmtpKeyPackage } from '../test-support/libxmtp-fixtures.js';
import { MlsErrorCodes } from './framing.js';
import { parseKeyPackage, verifyKeyPackage, verifyKeyPackageAsync } from './key-package.js';

const INBOX = 'ab'.repeat(32);
const NOW = 1_800_000_000;

async function makeKeyPackage(
  opts: { identity?: Uint8Array; notBefore?: bigint; notAfter?: bigint; extensions?: CustomExtension[]; leafNodeExtensions?: LeafNodeExtension[] } = {},
): Promise<KeyPackage> {
  const cs = await getCiphersuiteImpl('MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519');
  const signKey = ed25519.utils.randomSecretKey();
  const { publicPackage } = await generateKeyPackageWithKey({
    credential: { credentialType: 1, identity: opts.identity ?? toBinary(MlsCredentialSchema, { $typeName: 'xmtp.identity.MlsCredential', inboxId: INBOX }) },
    lifetime: { notBefore: opts.notBefore ?? BigInt(NOW - 3600), notAfter: opts.notAfter ?? BigInt(NOW + 86400) },
    signatureKeyPair: { signKey, publicKey: ed25519.getPublicKey(signKey) },
    cipherSuite: cs,
    ...(opts.extensions ? { extensions: opts.extensions } : {}),
    ...(opts.leafNodeExtensions ? { leafNodeExtensions: opts.leafNodeExtensions } : {}),
  });
  return publicPackage;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof XmtpError ? `${e.code}: ${e.message}` : `not an XmtpError: ${String(e)}`;
  }
  return 'no error';
}

describe('verifyKeyPackage', () => {
  let good: KeyPackage;
  let goodBytes: Uint8Array;
  beforeAll(async () => {
    good = await makeKeyPackage();
    goodBytes = encode(keyPackageEncoder, good);
  });

  test('default: accepts a key package a real libxmtp 1.10 client uploaded', () => {
    const bytes = libxmtpKeyPackage();
    const parsed = parseKeyPackage(bytes);
    const checked = verifyKeyPackage(bytes, { nowSeconds: Number(parsed.notBefore) + 3600 });
    expect(checked.installationKey).toHaveLength(32);
    expect(checked.inboxId).toMatch(/^[0-9a-f]{64}$/);
    // libxmtp's lifetime: openmls default, one hour back and 84 days ahead (RFC 9420 seconds)
    expect(checked.notAfter - checked.notBefore).toBe(BigInt(3600 + 84 * 24 * 3600));
  });

  test('behavior: accepts a valid key package made with ts-mls, and reports its installation and inbox', () => {
    const parsed = verifyKeyPackage(goodBytes, { nowSeconds: NOW });
    expect(parsed.inboxId).toBe(INBOX);
    expect(parsed.installationKey).toEqual(good.leafNode.signaturePublicKey);
  });

  test('error: a flipped bit in the key package signature', () => {
    const bytes = goodBytes.slice();
    bytes[bytes.length - 1]! ^= 1;
    expect(codeOf(() => verifyKeyPackage(bytes, { nowSeconds: NOW }))).toMatch(/key package signature does not verify/);
  });

  test('error: a changed leaf (lifetime) breaks the leaf signature', () => {
    const bytes = encode(keyPackageEncoder, {
      ...good,
      leafNode: { ...good.leafNode, lifetime: { ...good.leafNode.lifetime, notAfter: good.leafNode.lifetime.notAfter + 1n } },
    });
    expect(codeOf(() => verifyKeyPackage(bytes, { nowSeconds: NOW }))).toMatch(/leaf node signature does not verify/);
  });

  test('error: expired and not-yet-valid key packages, unless lifetime checks are skipped', async () => {
    const expired = encode(keyPackageEncoder, await makeKeyPackage({ notBefore: BigInt(NOW - 100), notAfter: BigInt(NOW - 10) }));
    expect(codeOf(() => verifyKeyPackage(expired, { nowSeconds: NOW }))).toMatch(/expired/);
    expect(verifyKeyPackage(expired, { nowSeconds: NOW, skipLifetime: true }).inboxId).toBe(INBOX);
    const future = encode(keyPackageEncoder, await makeKeyPackage({ notBefore: BigInt(NOW + 100), notAfter: BigInt(NOW + 1000) }));
    expect(codeOf(() => verifyKeyPackage(future, { nowSeconds: NOW }))).toMatch(/not valid before/);
  });

  test('error: a credential that is not an XMTP MlsCredential', async () => {
    const bytes = encode(keyPackageEncoder, await makeKeyPackage({ identity: new TextEncoder().encode('alice') }));
    expect(codeOf(() => verifyKeyPackage(bytes, { nowSeconds: NOW }))).toMatch(new RegExp(MlsErrorCodes.invalidKeyPackage));
  });

  test('behavior: a leaf ApplicationId with its inner length prefix and an empty last_resort are accepted', async () => {
    const appId = Uint8Array.of(0x40, 0x40, ...new TextEncoder().encode(INBOX));
    const kp = await makeKeyPackage({
      extensions: [makeCustomExtension({ extensionType: 0x000a, extensionData: new Uint8Array() })],
      leafNodeExtensions: [{ extensionType: 1, extensionData: appId }],
    });
    expect(verifyKeyPackage(encode(keyPackageEncoder, kp), { nowSeconds: NOW }).inboxId).toBe(INBOX);
  });

  test('error: a bare leaf ApplicationId (T1: OpenMLS, hence libxmtp and node-go, cannot parse it) or a non-empty last_resort', async () => {
    const bare = await makeKeyPackage({ leafNodeExtensions: [{ extensionType: 1, extensionData: new TextEncoder().encode(INBOX) }] });
    expect(codeOf(() => verifyKeyPackage(encode(keyPackageEncoder, bare), { nowSeconds: NOW }))).toMatch(/application_id is not an opaque<V>/);
    const lastResort = await makeKeyPackage({ extensions: [makeCustomExtension({ extensionType: 0x000a, extensionData: Uint8Array.of(0) })] });
    expect(codeOf(() => verifyKeyPackage(encode(keyPackageEncoder, lastResort), { nowSeconds: NOW }))).toMatch(/last_resort extension is not empty/);
  });

  test('error: garbage, truncation and trailing bytes', () => {
    for (const bad of [new Uint8Array(), new Uint8Array([1, 2, 3]), goodBytes.subarray(0, goodBytes.length - 5), new Uint8Array([...goodBytes, 0])]) {
      expect(codeOf(() => verifyKeyPackage(bad, { nowSeconds: NOW }))).toMatch(new RegExp(`^${MlsErrorCodes.invalidKeyPackage}`));
    }
  });

  test('behavior: verifyKeyPackageAsync (WebCrypto Ed25519) returns what verifyKeyPackage returns, or fails with the same error, checks in the same order', async () => {
    const libxmtp = libxmtpKeyPackage();
    const both = encode(keyPackageEncoder, {
      ...good,
      leafNode: { ...good.leafNode, lifetime: { ...good.leafNode.lifetime, notAfter: good.leafNode.lifetime.notAfter + 1n } },
    });
    both[both.length - 1]! ^= 1; // leaf and key package signatures both broken: the leaf is reported
    const flipped = goodBytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    const expired = encode(keyPackageEncoder, await makeKeyPackage({ notBefore: BigInt(NOW - 100), notAfter: BigInt(NOW - 10) }));
    const cases: [Uint8Array, { nowSeconds: number; skipLifetime?: boolean }][] = [
      [libxmtp, { nowSeconds: Number(parseKeyPackage(libxmtp).notBefore) + 3600 }],
      [goodBytes, { nowSeconds: NOW }],
      [goodBytes, { nowSeconds: NOW + 10 ** 9 }],
      [flipped, { nowSeconds: NOW }],
      [both, { nowSeconds: NOW }],
      [expired, { nowSeconds: NOW }],
      [expired, { nowSeconds: NOW, skipLifetime: true }],
      [new Uint8Array([1, 2, 3]), { nowSeconds: NOW }],
      [new Uint8Array([...goodBytes, 0]), { nowSeconds: NOW }],
    ];
    for (const [bytes, options] of cases) {
      const sync = codeOf(() => verifyKeyPackage(bytes, options));
      let async = 'no error';
      try {
        const parsed = await verifyKeyPackageAsync(bytes, options);
        expect(parsed).toEqual(verifyKeyPackage(bytes, options));
      } catch (e) {
        async = e instanceof XmtpError ? `${e.code}: ${e.message}` : `not an XmtpError: ${String(e)}`;
      }
      expect(async).toBe(sync);
    }
    expect(codeOf(() => verifyKeyPackage(both, { nowSeconds: NOW }))).toMatch(/leaf node signature does not verify/);
  });
});
