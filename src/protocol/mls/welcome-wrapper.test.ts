import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { XWing } from '@hpke/hybridkem-x-wing';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keyPackageDecoder } from 'ts-mls';
import { describe, expect, test } from 'vitest';
import {
  SendWelcomeMessagesRequestSchema,
  WelcomeMessageInputSchema,
  WelcomeMessageInput_V1Schema,
} from '../../gen/mls/api/v1/mls_pb.js';
import {
  WelcomePointeeEncryptionAeadType,
  WelcomePointerSchema,
  WelcomePointerWrapperAlgorithm,
  WelcomePointer_WelcomeV1PointerSchema,
} from '../../gen/mls/message_contents/welcome_pointer_pb.js';
import { WelcomeWrapperAlgorithm, WelcomeWrapperEncryptionSchema } from '../../gen/mls/message_contents/wrapper_encryption_pb.js';
import { XmtpError } from '../errors.js';
import { libxmtpKeyPackage, libxmtpRequestBody } from '../test-support/libxmtp-fixtures.js';
import {
  WELCOME_HPKE_INFO,
  WelcomeErrorCodes,
  createWelcomePointee,
  decodeHpkeCiphertext,
  decodeWelcomeMetadata,
  encodeHpkeCiphertext,
  encodeWelcomeMetadata,
  generateWelcomeWrapperKeyPair,
  openWelcomePointee,
  unwrapWelcome,
  unwrapWelcomePointer,
  welcomeWrapperPublicKey,
  wrapWelcome,
  wrapWelcomePointer,
  wrapperAlgorithmFromWire,
  wrapperAlgorithmToWire,
  type WelcomeWrapperAlgorithmName,
} from './welcome-wrapper.js';

const te = new TextEncoder();
const ALGORITHMS: WelcomeWrapperAlgorithmName[] = ['xwing', 'curve25519'];

function random(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** A welcome-sized plaintext (libxmtp's captured welcome MlsMessage is 1756 bytes). */
const WELCOME = random(1756);
const METADATA = encodeWelcomeMetadata(28n);

async function expectXmtpError(promise: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<XmtpError> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code}`).toBeInstanceOf(XmtpError);
  const x = error as XmtpError;
  expect(x.code).toBe(code);
  expect(x.retryable).toBe(false);
  if (message) expect(x.message).toMatch(message);
  return x;
}

function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[index] = out[index]! ^ 0x01;
  return out;
}

// ---------------------------------------------------------------------------------------------
// An independent RFC 9180 Base-mode key schedule (noble HKDF + ChaCha20-Poly1305), to check the
// suite_id (KEM id), info and aad our wrapper uses without trusting @hpke/core's wiring.

function i2osp(n: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}

function hpkeSuiteId(kemId: number): Uint8Array {
  return concat(te.encode('HPKE'), i2osp(kemId, 2), i2osp(0x0001, 2), i2osp(0x0003, 2));
}

function labeledExtract(suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
  return extract(sha256, concat(te.encode('HPKE-v1'), suiteId, te.encode(label), ikm), salt);
}

function labeledExpand(suiteId: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number): Uint8Array {
  return expand(sha256, prk, concat(i2osp(length, 2), te.encode('HPKE-v1'), suiteId, te.encode(label), info), length);
}

function referenceKeySchedule(kemId: number, sharedSecret: Uint8Array, info: Uint8Array) {
  const suiteId = hpkeSuiteId(kemId);
  const empty = new Uint8Array(0);
  const context = concat(
    new Uint8Array([0x00]), // mode_base
    labeledExtract(suiteId, empty, 'psk_id_hash', empty),
    labeledExtract(suiteId, empty, 'info_hash', info),
  );
  const secret = labeledExtract(suiteId, sharedSecret, 'secret', empty);
  const key = labeledExpand(suiteId, secret, 'key', context, 32);
  const baseNonce = labeledExpand(suiteId, secret, 'base_nonce', context, 12);
  const nonce = (seq: number) => {
    const n = new Uint8Array(baseNonce);
    const s = i2osp(seq, 12);
    for (let i = 0; i < 12; i++) n[i] = n[i]! ^ s[i]!;
    return n;
  };
  return {
    open: (seq: number, ct: Uint8Array) => chacha20poly1305(key, nonce(seq), new Uint8Array(0)).decrypt(ct),
    seal: (seq: number, pt: Uint8Array) => chacha20poly1305(key, nonce(seq), new Uint8Array(0)).encrypt(pt),
  };
}

/** RFC 9180 DHKEM(X25519, HKDF-SHA256) Decap with noble primitives. */
function referenceX25519Decap(enc: Uint8Array, sk: Uint8Array): Uint8Array {
  const kemSuite = concat(te.encode('KEM'), i2osp(0x0020, 2));
  const dh = x25519.getSharedSecret(sk, enc);
  const kemContext = concat(enc, x25519.getPublicKey(sk));
  const eaePrk = labeledExtract(kemSuite, new Uint8Array(0), 'eae_prk', dh);
  return labeledExpand(kemSuite, eaePrk, 'shared_secret', kemContext, 32);
}

/** X-Wing Decap (the KEM alone never uses the HPKE KEM id). */
async function xwingDecap(enc: Uint8Array, seed: Uint8Array): Promise<Uint8Array> {
  const kem = new XWing();
  const sk = await kem.importKey('raw', new Uint8Array(seed).buffer, false);
  return new Uint8Array(await kem.decap({ enc, recipientKey: sk }));
}

/** An @hpke suite with X-Wing under a chosen KEM id: 0x647A is the package default. */
function xwingSuite(kemId?: number): CipherSuite {
  const kem = new XWing();
  if (kemId !== undefined) (kem as unknown as { id: number }).id = kemId;
  return new CipherSuite({ kem, kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
}

// ---------------------------------------------------------------------------------------------

describe('welcome wrapper timings', () => {
  test('wrap/unwrap time per algorithm (first call in this process, then warm mean)', async () => {
    const rows: string[] = [];
    for (const algorithm of ALGORITHMS) {
      let t = performance.now();
      const keys = await generateWelcomeWrapperKeyPair(algorithm);
      const keygenFirst = performance.now() - t;
      t = performance.now();
      const first = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey: keys.publicKey, algorithm });
      const wrapFirst = performance.now() - t;
      t = performance.now();
      await unwrapWelcome({ data: first.data, welcomeMetadata: first.welcomeMetadata, algorithm, privateKey: keys.privateKey });
      const unwrapFirst = performance.now() - t;

      const N = 20;
      let wrapTotal = 0;
      let unwrapTotal = 0;
      for (let i = 0; i < N; i++) {
        t = performance.now();
        const w = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey: keys.publicKey, algorithm });
        wrapTotal += performance.now() - t;
        t = performance.now();
        const u = await unwrapWelcome({ data: w.data, welcomeMetadata: w.welcomeMetadata, algorithm, privateKey: keys.privateKey });
        unwrapTotal += performance.now() - t;
        expect(u.welcome).toEqual(WELCOME);
      }
      t = performance.now();
      for (let i = 0; i < N; i++) await generateWelcomeWrapperKeyPair(algorithm);
      const keygenWarm = (performance.now() - t) / N;
      rows.push(
        `${algorithm.padEnd(10)} keygen first ${keygenFirst.toFixed(1)} ms, warm ${keygenWarm.toFixed(2)} ms | ` +
          `wrap first ${wrapFirst.toFixed(1)} ms, warm ${(wrapTotal / N).toFixed(2)} ms | ` +
          `unwrap first ${unwrapFirst.toFixed(1)} ms, warm ${(unwrapTotal / N).toFixed(2)} ms`,
      );
    }
    console.log(`welcome wrapper timings (1756-byte welcome + metadata, 2 seals / 2 opens, N=20):\n  ${rows.join('\n  ')}`);
  });
});

describe('HPKE parameters', () => {
  test('info is the TLS EncryptContext{"MLS 1.0 MLS_WELCOME", ""}', () => {
    expect(Buffer.from(WELCOME_HPKE_INFO).toString('hex')).toBe(
      Buffer.concat([Buffer.from([0x13]), Buffer.from('MLS 1.0 MLS_WELCOME'), Buffer.from([0x00])]).toString('hex'),
    );
    expect(WELCOME_HPKE_INFO.length).toBe(21);
  });

  test('X-Wing: KEM id 0x004D, checked with an independent RFC 9180 key schedule (both seals, both directions)', async () => {
    const keys = await generateWelcomeWrapperKeyPair('xwing');
    const wrapped = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey: keys.publicKey, algorithm: 'xwing' });
    const { kemOutput, ciphertext } = decodeHpkeCiphertext(wrapped.data);
    const ss = await xwingDecap(kemOutput, keys.privateKey);

    const ours = referenceKeySchedule(0x004d, ss, WELCOME_HPKE_INFO);
    expect(ours.open(0, ciphertext)).toEqual(WELCOME);
    expect(ours.open(1, wrapped.welcomeMetadata)).toEqual(METADATA);

    const current = referenceKeySchedule(0x647a, ss, WELCOME_HPKE_INFO);
    expect(() => current.open(0, ciphertext)).toThrow();

    // And the reverse: a welcome sealed by the reference schedule with 0x004D opens with ours.
    const kem = new XWing();
    const { sharedSecret, enc } = await kem.encap({ recipientPublicKey: await kem.importKey('raw', new Uint8Array(keys.publicKey).buffer, true) });
    const ref = referenceKeySchedule(0x004d, new Uint8Array(sharedSecret), WELCOME_HPKE_INFO);
    const data = encodeHpkeCiphertext({ kemOutput: new Uint8Array(enc), ciphertext: ref.seal(0, WELCOME) });
    const opened = await unwrapWelcome({ data, welcomeMetadata: ref.seal(1, METADATA), algorithm: 2, privateKey: keys.privateKey });
    expect(opened.welcome).toEqual(WELCOME);
    expect(opened.metadata).toEqual(METADATA);
  });

  test('X-Wing: a 0x647A ciphertext does not open with ours, and ours does not open with 0x647A', async () => {
    const keys = await generateWelcomeWrapperKeyPair('xwing');
    const recipient = async (suite: CipherSuite) => suite.kem.importKey('raw', new Uint8Array(keys.privateKey).buffer, false);
    const sealWith = async (suite: CipherSuite) => {
      const ctx = await suite.createSenderContext({
        recipientPublicKey: await suite.kem.importKey('raw', new Uint8Array(keys.publicKey).buffer, true),
        info: WELCOME_HPKE_INFO,
      });
      return encodeHpkeCiphertext({ kemOutput: new Uint8Array(ctx.enc), ciphertext: new Uint8Array(await ctx.seal(WELCOME)) });
    };

    // 0x647A (the package default) → ours: refused.
    const fromCurrent = await sealWith(xwingSuite());
    expect(xwingSuite().kem.id).toBe(0x647a);
    await expectXmtpError(unwrapWelcome({ data: fromCurrent, algorithm: 2, privateKey: keys.privateKey }), WelcomeErrorCodes.decryptFailed);
    // A separately built 0x004D suite → ours: opens (so the failure above is the codepoint alone).
    const fromObsolete = await sealWith(xwingSuite(0x004d));
    expect((await unwrapWelcome({ data: fromObsolete, algorithm: 2, privateKey: keys.privateKey })).welcome).toEqual(WELCOME);

    // Ours → 0x647A: refused; ours → 0x004D: opens.
    const ours = decodeHpkeCiphertext((await wrapWelcome({ welcome: WELCOME, recipientPublicKey: keys.publicKey, algorithm: 'xwing' })).data);
    const openWith = async (suite: CipherSuite) => {
      const ctx = await suite.createRecipientContext({ recipientKey: await recipient(suite), enc: ours.kemOutput, info: WELCOME_HPKE_INFO });
      return new Uint8Array(await ctx.open(ours.ciphertext));
    };
    await expect(openWith(xwingSuite())).rejects.toThrow();
    expect(await openWith(xwingSuite(0x004d))).toEqual(WELCOME);
  });

  test('Curve25519: DHKEM(X25519) 0x0020, checked with an independent DHKEM + key schedule', async () => {
    const sk = random(32);
    const pk = x25519.getPublicKey(sk);
    const wrapped = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey: pk, algorithm: 'curve25519' });
    const { kemOutput, ciphertext } = decodeHpkeCiphertext(wrapped.data);
    expect(kemOutput.length).toBe(32);
    const ref = referenceKeySchedule(0x0020, referenceX25519Decap(kemOutput, sk), WELCOME_HPKE_INFO);
    expect(ref.open(0, ciphertext)).toEqual(WELCOME);
    expect(ref.open(1, wrapped.welcomeMetadata)).toEqual(METADATA);

    // Reverse: reference DHKEM Encap (ephemeral key) + schedule → ours.
    const ephemeral = random(32);
    const enc = x25519.getPublicKey(ephemeral);
    const kemSuite = concat(te.encode('KEM'), i2osp(0x0020, 2));
    const eaePrk = labeledExtract(kemSuite, new Uint8Array(0), 'eae_prk', x25519.getSharedSecret(ephemeral, pk));
    const ss = labeledExpand(kemSuite, eaePrk, 'shared_secret', concat(enc, pk), 32);
    const sealer = referenceKeySchedule(0x0020, ss, WELCOME_HPKE_INFO);
    const data = encodeHpkeCiphertext({ kemOutput: enc, ciphertext: sealer.seal(0, WELCOME) });
    const opened = await unwrapWelcome({ data, welcomeMetadata: sealer.seal(1, METADATA), algorithm: 1, privateKey: sk });
    expect(opened).toEqual({ welcome: WELCOME, metadata: METADATA });
  });
});

describe('round trips', () => {
  for (const algorithm of ALGORITHMS) {
    test(`${algorithm}: with metadata`, async () => {
      const keys = await generateWelcomeWrapperKeyPair(algorithm);
      expect(keys.algorithm).toBe(algorithm);
      const wrapped = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey: keys.publicKey, algorithm });
      // seal #1 is the raw AEAD ciphertext: plaintext + 16-byte tag, no length prefix, no enc.
      expect(wrapped.welcomeMetadata.length).toBe(METADATA.length + 16);
      const { ciphertext } = decodeHpkeCiphertext(wrapped.data);
      expect(ciphertext.length).toBe(WELCOME.length + 16);

      const opened = await unwrapWelcome({
        data: wrapped.data,
        welcomeMetadata: wrapped.welcomeMetadata,
        algorithm: wrapperAlgorithmToWire(algorithm),
        privateKey: keys.privateKey,
      });
      expect(opened.welcome).toEqual(WELCOME);
      expect(opened.metadata).toEqual(METADATA);
      expect(decodeWelcomeMetadata(opened.metadata!).messageCursor).toBe(28n);

      // Also through the node's wire form (WelcomeMessageInput.V1).
      const input = create(WelcomeMessageInputSchema, {
        version: {
          case: 'v1',
          value: create(WelcomeMessageInput_V1Schema, {
            installationKey: random(32),
            data: wrapped.data,
            hpkePublicKey: keys.publicKey,
            wrapperAlgorithm: wrapperAlgorithmToWire(algorithm),
            welcomeMetadata: wrapped.welcomeMetadata,
          }),
        },
      });
      const back = fromBinary(WelcomeMessageInputSchema, toBinary(WelcomeMessageInputSchema, input));
      if (back.version.case !== 'v1') throw new Error('not v1');
      const v1 = back.version.value;
      const again = await unwrapWelcome({ data: v1.data, welcomeMetadata: v1.welcomeMetadata, algorithm: v1.wrapperAlgorithm, privateKey: keys.privateKey });
      expect(again).toEqual({ welcome: WELCOME, metadata: METADATA });
    });

    test(`${algorithm}: without metadata (absent, empty, or cursor 0)`, async () => {
      const keys = await generateWelcomeWrapperKeyPair(algorithm);
      for (const metadata of [undefined, new Uint8Array(0), encodeWelcomeMetadata(0n)]) {
        const wrapped = await wrapWelcome({ welcome: WELCOME, ...(metadata ? { metadata } : {}), recipientPublicKey: keys.publicKey, algorithm });
        expect(wrapped.welcomeMetadata.length).toBe(0);
        const opened = await unwrapWelcome({ data: wrapped.data, welcomeMetadata: wrapped.welcomeMetadata, algorithm, privateKey: keys.privateKey });
        expect(opened).toEqual({ welcome: WELCOME });
        const noField = await unwrapWelcome({ data: wrapped.data, algorithm, privateKey: keys.privateKey });
        expect(noField).toEqual({ welcome: WELCOME });
      }
    });

    test(`${algorithm}: the metadata may be ignored by the receiver (libxmtp opens it second, optionally)`, async () => {
      const keys = await generateWelcomeWrapperKeyPair(algorithm);
      const wrapped = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey: keys.publicKey, algorithm });
      expect(await unwrapWelcome({ data: wrapped.data, algorithm, privateKey: keys.privateKey })).toEqual({ welcome: WELCOME });
    });

    test(`${algorithm}: the public key is derivable from the stored private key`, async () => {
      const keys = await generateWelcomeWrapperKeyPair(algorithm);
      expect(await welcomeWrapperPublicKey(algorithm, keys.privateKey)).toEqual(keys.publicKey);
    });
  }

  test('parallel wraps and unwraps on the shared suites do not interfere', async () => {
    const keys = await Promise.all(ALGORITHMS.map((a) => generateWelcomeWrapperKeyPair(a)));
    const jobs = Array.from({ length: 12 }, async (_, i) => {
      const k = keys[i % 2]!;
      const welcome = random(100 + i);
      const metadata = encodeWelcomeMetadata(BigInt(i + 1));
      const w = await wrapWelcome({ welcome, metadata, recipientPublicKey: k.publicKey, algorithm: k.algorithm });
      const u = await unwrapWelcome({ ...w, algorithm: k.algorithm, privateKey: k.privateKey });
      expect(u).toEqual({ welcome, metadata });
    });
    await Promise.all(jobs);
  });

  test('curve25519 with the key package init key pair (X25519 scalar in, init_key out)', async () => {
    const initPrivate = random(32);
    const initKey = x25519.getPublicKey(initPrivate);
    const wrapped = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey: initKey, algorithm: 'curve25519' });
    expect(await unwrapWelcome({ ...wrapped, algorithm: 1, privateKey: initPrivate })).toEqual({ welcome: WELCOME, metadata: METADATA });
  });

  test('wire algorithms: 0, 1 and unknown values are Curve25519, 2 is X-Wing, 3 is refused for a V1 welcome', async () => {
    expect(wrapperAlgorithmFromWire(0)).toBe('curve25519');
    expect(wrapperAlgorithmFromWire(1)).toBe('curve25519');
    expect(wrapperAlgorithmFromWire(7)).toBe('curve25519');
    expect(wrapperAlgorithmFromWire(2)).toBe('xwing');
    await expectXmtpError(() => wrapperAlgorithmFromWire(3), WelcomeErrorCodes.invalidAlgorithm, /pointee/);
    expect(wrapperAlgorithmToWire('xwing')).toBe(WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6);
    expect(wrapperAlgorithmToWire('curve25519')).toBe(WelcomeWrapperAlgorithm.CURVE25519);

    const sk = random(32);
    const wrapped = await wrapWelcome({ welcome: WELCOME, recipientPublicKey: x25519.getPublicKey(sk), algorithm: 'curve25519' });
    for (const algorithm of [0, 1, 99]) {
      expect((await unwrapWelcome({ data: wrapped.data, algorithm, privateKey: sk })).welcome).toEqual(WELCOME);
    }
    await expectXmtpError(unwrapWelcome({ data: wrapped.data, algorithm: 3, privateKey: sk }), WelcomeErrorCodes.invalidAlgorithm);
  });
});

describe('sizes', () => {
  test('X-Wing: public key 1216, private seed 32, encapsulation 1120; Curve25519: 32/32/32', async () => {
    const xw = await generateWelcomeWrapperKeyPair('xwing');
    expect(xw.publicKey.length).toBe(1216);
    expect(xw.privateKey.length).toBe(32);
    const wx = await wrapWelcome({ welcome: WELCOME, recipientPublicKey: xw.publicKey, algorithm: 'xwing' });
    expect(decodeHpkeCiphertext(wx.data).kemOutput.length).toBe(1120);
    // varint(1120) = 2 bytes, varint(1772) = 2 bytes.
    expect(wx.data.length).toBe(2 + 1120 + 2 + WELCOME.length + 16);

    const c = await generateWelcomeWrapperKeyPair('curve25519');
    expect(c.publicKey.length).toBe(32);
    expect(c.privateKey.length).toBe(32);
    const wc = await wrapWelcome({ welcome: WELCOME, recipientPublicKey: c.publicKey, algorithm: 'curve25519' });
    expect(decodeHpkeCiphertext(wc.data).kemOutput.length).toBe(32);
  });

  test('HpkeCiphertext TLS codec: round trip, and refuses truncation, trailing bytes, bad or non-minimal varints', async () => {
    const value = { kemOutput: random(1120), ciphertext: random(70) };
    const bytes = encodeHpkeCiphertext(value);
    expect(bytes.subarray(0, 2)).toEqual(new Uint8Array([0x44, 0x60]));
    expect(bytes[2 + 1120]).toBe(0x40);
    expect(decodeHpkeCiphertext(bytes)).toEqual(value);
    await expectXmtpError(() => decodeHpkeCiphertext(bytes.subarray(0, bytes.length - 1)), WelcomeErrorCodes.malformed, /overruns/);
    await expectXmtpError(() => decodeHpkeCiphertext(concat(bytes, new Uint8Array([0]))), WelcomeErrorCodes.malformed, /trailing/);
    await expectXmtpError(() => decodeHpkeCiphertext(new Uint8Array(0)), WelcomeErrorCodes.malformed, /truncated/);
    await expectXmtpError(() => decodeHpkeCiphertext(new Uint8Array([0xc0, 0, 0, 0, 0, 0, 0, 1])), WelcomeErrorCodes.malformed, /prefix/);
    await expectXmtpError(() => decodeHpkeCiphertext(new Uint8Array([0x40, 0x01, 0xaa, 0x00])), WelcomeErrorCodes.malformed, /non-minimal/);
  });
});

describe('errors', () => {
  for (const algorithm of ALGORITHMS) {
    test(`${algorithm}: wrong key, tampered data, tampered metadata → mls.welcome_decrypt_failed`, async () => {
      const keys = await generateWelcomeWrapperKeyPair(algorithm);
      const other = await generateWelcomeWrapperKeyPair(algorithm);
      const wrapped = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey: keys.publicKey, algorithm });
      const unwrap = (data: Uint8Array, welcomeMetadata: Uint8Array, privateKey = keys.privateKey) =>
        unwrapWelcome({ data, welcomeMetadata, algorithm, privateKey });

      await expectXmtpError(unwrap(wrapped.data, wrapped.welcomeMetadata, other.privateKey), WelcomeErrorCodes.decryptFailed, /wrong key/);
      // kem_output starts after its varint (2 bytes for 1120, 1 byte for 32); the ciphertext after its own.
      const [encStart, encLength] = algorithm === 'xwing' ? [2, 1120] : [1, 32];
      // A bit flipped in the kem_output (first and last byte), in the ciphertext, in the tag.
      for (const index of [encStart, encStart + encLength - 1, encStart + encLength + 2 + 10, wrapped.data.length - 1]) {
        await expectXmtpError(unwrap(flipBit(wrapped.data, index), wrapped.welcomeMetadata), WelcomeErrorCodes.decryptFailed);
      }
      await expectXmtpError(unwrap(wrapped.data, flipBit(wrapped.welcomeMetadata, 0)), WelcomeErrorCodes.decryptFailed, /welcome metadata/);
      // Metadata from another wrap (another context) does not open either.
      const second = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey: keys.publicKey, algorithm });
      await expectXmtpError(unwrap(wrapped.data, second.welcomeMetadata), WelcomeErrorCodes.decryptFailed, /welcome metadata/);
    });
  }

  test('wrong algorithm → clear decrypt errors naming the kem_output size', async () => {
    const xw = await generateWelcomeWrapperKeyPair('xwing');
    const c = await generateWelcomeWrapperKeyPair('curve25519');
    const wx = await wrapWelcome({ welcome: WELCOME, recipientPublicKey: xw.publicKey, algorithm: 'xwing' });
    const wc = await wrapWelcome({ welcome: WELCOME, recipientPublicKey: c.publicKey, algorithm: 'curve25519' });
    // X-Wing data, read as Curve25519 with the recipient's X25519 init key.
    await expectXmtpError(unwrapWelcome({ data: wx.data, algorithm: 1, privateKey: c.privateKey }), WelcomeErrorCodes.decryptFailed, /1120 bytes/);
    // Curve25519 data, read as X-Wing.
    await expectXmtpError(unwrapWelcome({ data: wc.data, algorithm: 2, privateKey: xw.privateKey }), WelcomeErrorCodes.decryptFailed, /32 bytes/);
    // The X-Wing seed is also 32 bytes: used as an X25519 key it simply does not decrypt.
    await expectXmtpError(unwrapWelcome({ data: wc.data, algorithm: 1, privateKey: xw.privateKey }), WelcomeErrorCodes.decryptFailed);
  });

  test('bad keys and inputs → mls.welcome_invalid_key / invalid_request / malformed', async () => {
    const xw = await generateWelcomeWrapperKeyPair('xwing');
    await expectXmtpError(wrapWelcome({ welcome: WELCOME, recipientPublicKey: random(32), algorithm: 'xwing' }), WelcomeErrorCodes.invalidKey, /1216/);
    await expectXmtpError(wrapWelcome({ welcome: WELCOME, recipientPublicKey: xw.publicKey, algorithm: 'curve25519' }), WelcomeErrorCodes.invalidKey, /32/);
    await expectXmtpError(
      unwrapWelcome({ data: new Uint8Array(10), algorithm: 2, privateKey: random(31) }),
      WelcomeErrorCodes.invalidKey,
      /private key must be 32 bytes/,
    );
    await expectXmtpError(wrapWelcome({ welcome: new Uint8Array(0), recipientPublicKey: xw.publicKey, algorithm: 'xwing' }), 'invalid_request');
    await expectXmtpError(
      wrapWelcome({ welcome: WELCOME, recipientPublicKey: xw.publicKey, algorithm: 'kyber' as WelcomeWrapperAlgorithmName }),
      WelcomeErrorCodes.invalidAlgorithm,
    );
    await expectXmtpError(unwrapWelcome({ data: random(50), algorithm: 2, privateKey: xw.privateKey }), WelcomeErrorCodes.malformed);
    await expectXmtpError(welcomeWrapperPublicKey('xwing', random(16)), WelcomeErrorCodes.invalidKey);
    await expectXmtpError(() => decodeWelcomeMetadata(new Uint8Array([0xff])), WelcomeErrorCodes.invalidMetadata);
  });

  test('errors serialize across contexts with their code', async () => {
    const xw = await generateWelcomeWrapperKeyPair('xwing');
    const err = await expectXmtpError(unwrapWelcome({ data: random(50), algorithm: 2, privateKey: xw.privateKey }), WelcomeErrorCodes.malformed);
    expect(XmtpError.fromJSON(JSON.parse(JSON.stringify(err))).code).toBe(WelcomeErrorCodes.malformed);
  });
});

describe('welcome pointers', () => {
  test('round trip: pointee + HPKE-wrapped pointer (through the wire protos)', async () => {
    const recipient = await generateWelcomeWrapperKeyPair('xwing');
    const { pointee, pointer } = createWelcomePointee({ welcome: WELCOME, metadata: METADATA });

    expect(pointer.version.case).toBe('welcomeV1Pointer');
    const v1 = pointer.version.value!;
    expect(v1.destination.length).toBe(32);
    expect(v1.encryptionKey.length).toBe(32);
    expect(v1.dataNonce.length).toBe(12);
    expect(v1.welcomeMetadataNonce.length).toBe(12);
    expect(v1.dataNonce).not.toEqual(v1.welcomeMetadataNonce);
    expect(v1.aeadType).toBe(WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305);
    expect(pointee.installationKey).toEqual(v1.destination);
    expect(pointee.hpkePublicKey.length).toBe(0);
    expect(pointee.wrapperAlgorithm).toBe(WelcomeWrapperAlgorithm.SYMMETRIC_KEY);
    expect(pointee.data.length).toBe(WELCOME.length + 16);
    expect(pointee.welcomeMetadata.length).toBe(METADATA.length + 16);
    // ChaCha20-Poly1305 with aad "" (independently, with noble directly).
    expect(chacha20poly1305(v1.encryptionKey, v1.dataNonce, new Uint8Array(0)).decrypt(pointee.data)).toEqual(WELCOME);

    const wrappedPointer = await wrapWelcomePointer(pointer, recipient.publicKey);
    expect(decodeHpkeCiphertext(wrappedPointer).kemOutput.length).toBe(1120);
    // libxmtp opens a pointer with its welcome unwrap (same suite, info and aad), first seal only.
    const asWelcome = await unwrapWelcome({ data: wrappedPointer, algorithm: 2, privateKey: recipient.privateKey });
    expect(fromBinary(WelcomePointerSchema, asWelcome.welcome)).toEqual(pointer);

    // Through the node: the pointee is a WelcomeMessageInput.v1, the pointer a WelcomeMessageInput.welcome_pointer.
    const sentPointee = fromBinary(
      WelcomeMessageInputSchema,
      toBinary(WelcomeMessageInputSchema, create(WelcomeMessageInputSchema, { version: { case: 'v1', value: pointee } })),
    );
    if (sentPointee.version.case !== 'v1') throw new Error('not v1');

    const decrypted = await unwrapWelcomePointer({
      welcomePointer: wrappedPointer,
      algorithm: WelcomePointerWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6,
      privateKey: recipient.privateKey,
    });
    expect(decrypted.destination).toEqual(v1.destination);
    const opened = openWelcomePointee(sentPointee.version.value, decrypted);
    expect(opened).toEqual({ welcome: WELCOME, metadata: METADATA });
    // The whole WelcomePointer is accepted as well.
    expect(openWelcomePointee(pointee, pointer)).toEqual({ welcome: WELCOME, metadata: METADATA });
    // A V1 reader refuses the pointee's SYMMETRIC_KEY algorithm.
    await expectXmtpError(
      unwrapWelcome({ data: pointee.data, welcomeMetadata: pointee.welcomeMetadata, algorithm: pointee.wrapperAlgorithm, privateKey: recipient.privateKey }),
      WelcomeErrorCodes.invalidAlgorithm,
    );
  });

  test('without metadata the pointee still carries a sealed (empty) metadata, as libxmtp requires', () => {
    const { pointee, pointer } = createWelcomePointee({ welcome: WELCOME });
    expect(pointee.welcomeMetadata.length).toBe(16);
    expect(openWelcomePointee(pointee, pointer)).toEqual({ welcome: WELCOME });
    expect(openWelcomePointee({ ...pointee, welcomeMetadata: new Uint8Array(0) }, pointer)).toEqual({ welcome: WELCOME });
  });

  test('pointer errors: wrong key, wrong algorithm, bad pointer fields, tampered or foreign pointee', async () => {
    const recipient = await generateWelcomeWrapperKeyPair('xwing');
    const other = await generateWelcomeWrapperKeyPair('xwing');
    const { pointee, pointer } = createWelcomePointee({ welcome: WELCOME, metadata: METADATA });
    const wrapped = await wrapWelcomePointer(pointer, recipient.publicKey);

    await expectXmtpError(
      unwrapWelcomePointer({ welcomePointer: wrapped, algorithm: 2, privateKey: other.privateKey }),
      WelcomeErrorCodes.decryptFailed,
      /welcome pointer/,
    );
    for (const algorithm of [0, 1, 3]) {
      await expectXmtpError(
        unwrapWelcomePointer({ welcomePointer: wrapped, algorithm, privateKey: recipient.privateKey }),
        WelcomeErrorCodes.invalidAlgorithm,
      );
    }
    await expectXmtpError(wrapWelcomePointer(pointer, random(32)), WelcomeErrorCodes.invalidKey, /1216/);

    const v1 = pointer.version.value!;
    const variant = (fields: Partial<typeof v1>) =>
      create(WelcomePointerSchema, {
        version: { case: 'welcomeV1Pointer', value: create(WelcomePointer_WelcomeV1PointerSchema, { ...v1, ...fields }) },
      });
    await expectXmtpError(wrapWelcomePointer(create(WelcomePointerSchema, {}), recipient.publicKey), WelcomeErrorCodes.invalidPointer);
    await expectXmtpError(() => openWelcomePointee(pointee, variant({ aeadType: WelcomePointeeEncryptionAeadType.UNSPECIFIED })), WelcomeErrorCodes.invalidPointer, /aead_type/);
    await expectXmtpError(() => openWelcomePointee(pointee, variant({ encryptionKey: random(16) })), WelcomeErrorCodes.invalidPointer, /encryption_key/);
    await expectXmtpError(() => openWelcomePointee(pointee, variant({ dataNonce: random(24) })), WelcomeErrorCodes.invalidPointer, /data_nonce/);
    await expectXmtpError(() => openWelcomePointee(pointee, variant({ destination: random(16) })), WelcomeErrorCodes.invalidPointer, /destination/);

    // A pointer that decrypts but is not a usable WelcomeV1Pointer.
    const emptyPointer = await wrapWelcome({ welcome: new Uint8Array([0x0a, 0x00]), recipientPublicKey: recipient.publicKey, algorithm: 'xwing' });
    await expectXmtpError(
      unwrapWelcomePointer({ welcomePointer: emptyPointer.data, algorithm: 2, privateKey: recipient.privateKey }),
      WelcomeErrorCodes.invalidPointer,
    );
    const garbage = await wrapWelcome({ welcome: new Uint8Array([0xff, 0xff]), recipientPublicKey: recipient.publicKey, algorithm: 'xwing' });
    await expectXmtpError(
      unwrapWelcomePointer({ welcomePointer: garbage.data, algorithm: 2, privateKey: recipient.privateKey }),
      WelcomeErrorCodes.invalidPointer,
      /protobuf/,
    );

    await expectXmtpError(() => openWelcomePointee({ ...pointee, data: flipBit(pointee.data, 5) }, pointer), WelcomeErrorCodes.decryptFailed);
    await expectXmtpError(
      () => openWelcomePointee({ ...pointee, welcomeMetadata: flipBit(pointee.welcomeMetadata, 0) }, pointer),
      WelcomeErrorCodes.decryptFailed,
      /metadata/,
    );
    const foreign = createWelcomePointee({ welcome: WELCOME });
    await expectXmtpError(() => openWelcomePointee(foreign.pointee, pointer), WelcomeErrorCodes.decryptFailed);
    await expectXmtpError(
      () => openWelcomePointee({ ...pointee, wrapperAlgorithm: WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6 }, pointer),
      WelcomeErrorCodes.invalidPointee,
    );
  });
});

describe('libxmtp 1.10 captured bytes (structure; we do not hold the recipient private key)', () => {
  const request = fromBinary(SendWelcomeMessagesRequestSchema, libxmtpRequestBody('SendWelcomeMessages'));
  const first = request.messages[0]!;
  if (first.version.case !== 'v1') throw new Error('the captured welcome is not a V1 welcome');
  const v1 = first.version.value;

  /** ML-KEM-768 ek = 1152 bytes of 768 12-bit coefficients (each < q = 3329) ‖ 32-byte rho. */
  function looksLikeMlKem768EncapsulationKey(ek: Uint8Array): boolean {
    for (let i = 0; i < 1152; i += 3) {
      const a = ek[i]! | ((ek[i + 1]! & 0x0f) << 8);
      const b = (ek[i + 1]! >> 4) | (ek[i + 2]! << 4);
      if (a >= 3329 || b >= 3329) return false;
    }
    return true;
  }

  test('a libxmtp V1 welcome: X-Wing, data is a TLS HpkeCiphertext with a 1120-byte kem_output, raw 2nd seal', () => {
    expect(v1.wrapperAlgorithm).toBe(WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6);
    expect(wrapperAlgorithmFromWire(v1.wrapperAlgorithm)).toBe('xwing');
    expect(v1.installationKey.length).toBe(32);
    expect(v1.hpkePublicKey.length).toBe(1216);
    const { kemOutput, ciphertext } = decodeHpkeCiphertext(v1.data);
    expect(kemOutput.length).toBe(1120);
    expect(ciphertext.length).toBeGreaterThan(16);
    expect(v1.data.length).toBe(2 + 1120 + 2 + ciphertext.length);
    // welcome_metadata: seal #1 of WelcomeMetadata{message_cursor} = tag + a few protobuf bytes, no prefix.
    expect(v1.welcomeMetadata.length).toBeGreaterThanOrEqual(16 + 2);
    expect(v1.welcomeMetadata.length).toBeLessThanOrEqual(16 + 11);
    // Key layout as X-Wing draft-06: ML-KEM-768 encapsulation key first, then the X25519 key.
    expect(looksLikeMlKem768EncapsulationKey(v1.hpkePublicKey)).toBe(true);
  });

  test('we can wrap to real libxmtp keys: the welcome recipient X-Wing key, a key package 0xFF03 key and init_key', async () => {
    const [kp] = keyPackageDecoder(libxmtpKeyPackage(), 0)!;
    const ext = kp.extensions.find((e) => e.extensionType === 0xff03);
    expect(ext).toBeDefined();
    const wrapper = fromBinary(WelcomeWrapperEncryptionSchema, (ext as { extensionData: Uint8Array }).extensionData);
    expect(wrapper.algorithm).toBe(WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6);
    expect(wrapper.pubKey.length).toBe(1216);
    expect(looksLikeMlKem768EncapsulationKey(wrapper.pubKey)).toBe(true);

    for (const recipientPublicKey of [v1.hpkePublicKey, wrapper.pubKey]) {
      const w = await wrapWelcome({ welcome: WELCOME, metadata: METADATA, recipientPublicKey, algorithm: 'xwing' });
      expect(decodeHpkeCiphertext(w.data).kemOutput.length).toBe(1120);
      expect(w.welcomeMetadata.length).toBe(METADATA.length + 16);
    }
    const w = await wrapWelcome({ welcome: WELCOME, recipientPublicKey: kp.initKey, algorithm: 'curve25519' });
    expect(decodeHpkeCiphertext(w.data).kemOutput.length).toBe(32);
  });
});
