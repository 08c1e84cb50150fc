import { create } from '@bufbuild/protobuf';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  type RecoverablePasskeySignature,
  RecoverablePasskeySignatureSchema,
  SignatureSchema,
} from '../../gen/identity/associations/signature_pb.js';
import { XmtpError } from '../errors.js';
import {
  base64UrlEncode,
  parsePasskeyClientData,
  parseSec1PublicKey,
  passkeyChallenge,
  PasskeyErrorCodes,
  verifyPasskeySignature,
  verifyPasskeySignatureProto,
} from './passkey.js';

const N = p256.Point.CURVE().n;
const P = p256.Point.CURVE().p;
const ORIGIN = 'http://localhost:5173';
const TEXT = [
  'XMTP : Authenticate to inbox',
  '',
  'Inbox ID: 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
  'Current time: 2026-11-26T08:00:00Z',
  '',
  '- Create inbox',
  '  (Owner: 04aa)',
  '',
  'For more info: https://xmtp.org/signatures',
].join('\n');

const utf8 = (s: string) => new TextEncoder().encode(s);

/** WebAuthn authenticator data of an assertion: rpIdHash ‖ flags (UP|UV) ‖ signCount. */
function authenticatorData(rpId = 'localhost', signCount = 1): Uint8Array {
  const counter = new Uint8Array(4);
  new DataView(counter.buffer).setUint32(0, signCount);
  return concatBytes(sha256(utf8(rpId)), Uint8Array.of(0x05), counter);
}

function clientDataFor(text: string, extra: Record<string, unknown> = {}): Uint8Array {
  return utf8(JSON.stringify({ type: 'webauthn.get', challenge: passkeyChallenge(text), origin: ORIGIN, crossOrigin: false, ...extra }));
}

interface Signed {
  secretKey: Uint8Array;
  sig: RecoverablePasskeySignature;
  r: bigint;
  s: bigint;
}

/** Signs like a WebAuthn authenticator: ECDSA-P256/SHA-256 over authData ‖ SHA-256(clientData), DER. */
function sign(opts: {
  text?: string;
  clientDataJson?: Uint8Array;
  authData?: Uint8Array;
  secretKey?: Uint8Array;
  highS?: boolean;
  compressedKey?: boolean;
} = {}): Signed {
  const secretKey = opts.secretKey ?? p256.utils.randomSecretKey();
  const clientDataJson = opts.clientDataJson ?? clientDataFor(opts.text ?? TEXT);
  const authData = opts.authData ?? authenticatorData();
  const digest = sha256(concatBytes(authData, sha256(clientDataJson)));
  const low = p256.Signature.fromBytes(p256.sign(digest, secretKey, { prehash: false, lowS: true, format: 'compact' }), 'compact');
  const s = opts.highS ? N - low.s : low.s;
  const der = new p256.Signature(low.r, s).toBytes('der');
  return {
    secretKey,
    r: low.r,
    s,
    sig: create(RecoverablePasskeySignatureSchema, {
      publicKey: p256.getPublicKey(secretKey, opts.compressedKey ?? false),
      signature: der,
      authenticatorData: authData,
      clientDataJson,
    }),
  };
}

function withFields(sig: RecoverablePasskeySignature, fields: Partial<RecoverablePasskeySignature>): RecoverablePasskeySignature {
  return { ...sig, ...fields };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<XmtpError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it verified`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(XmtpError);
  expect((error as XmtpError).code).toBe(code);
  return error as XmtpError;
}

function rs(r: bigint, s: bigint): Uint8Array {
  return hexToBytes(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'));
}

/** DER by hand, for encodings noble would not produce. */
function derOf(rBytes: Uint8Array, sBytes: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => concatBytes(Uint8Array.of(0x02, b.length), b);
  const body = concatBytes(int(rBytes), int(sBytes));
  return concatBytes(Uint8Array.of(0x30, body.length), body);
}

describe('verifyPasskeySignature: valid signatures', () => {
  it('verifies a WebAuthn assertion and returns the passkey, its origin and the r‖s replay key', async () => {
    const { sig, r, s } = sign();
    const verified = await verifyPasskeySignature(sig, TEXT);
    expect(verified.kind).toBe('passkey');
    expect(verified.signer).toEqual({ kind: 'passkey', key: sig.publicKey, relyingParty: ORIGIN });
    expect(verified.replayKey).toEqual(rs(r, s));
    expect(verified.replayKey).toHaveLength(64);
    expect(verified.chainId).toBeUndefined();
  });

  it('accepts high-s DER signatures (WebAuthn authenticators do not normalise s) and keeps s as signed', async () => {
    const high = sign({ highS: true });
    expect(high.s > N / 2n).toBe(true);
    const verified = await verifyPasskeySignature(high.sig, TEXT);
    expect(verified.replayKey).toEqual(rs(high.r, high.s));
    // The low-s twin of the same signature also verifies, with a different replay key (as in libxmtp).
    const low = withFields(high.sig, { signature: new p256.Signature(high.r, N - high.s).toBytes('der') });
    const verifiedLow = await verifyPasskeySignature(low, TEXT);
    expect(bytesToHex(verifiedLow.replayKey)).not.toBe(bytesToHex(verified.replayKey));
  });

  it('verifies high-s signatures whose DER s needs a leading zero byte (73-byte DER)', async () => {
    for (let i = 0; i < 64; i++) {
      const high = sign({ highS: true });
      if (high.sig.signature[3 + (high.sig.signature[3] ?? 0) + 2] !== 0x21) continue; // s INTEGER length 33
      await expect(verifyPasskeySignature(high.sig, TEXT)).resolves.toBeDefined();
      return;
    }
    throw new Error('no 33-byte s produced');
  });

  it('accepts 33-byte compressed keys (SEC1 0x02/0x03) and keeps the key bytes as given', async () => {
    const { sig } = sign({ compressedKey: true });
    expect(sig.publicKey).toHaveLength(33);
    const verified = await verifyPasskeySignature(sig, TEXT);
    expect(verified.signer).toEqual({ kind: 'passkey', key: sig.publicKey, relyingParty: ORIGIN });
  });

  it('accepts RustCrypto compact keys (0x05 ‖ x, y the smaller root) like libxmtp, and only for that y', async () => {
    for (let i = 0; i < 16; i++) {
      const { sig } = sign();
      const { x, y } = p256.Point.fromBytes(sig.publicKey).toAffine();
      const compact = concatBytes(Uint8Array.of(0x05), sig.publicKey.subarray(1, 33));
      expect(parseSec1PublicKey(compact)).toEqual(p256.Point.fromAffine({ x, y: y < P - y ? y : P - y }).toBytes(false));
      const pending = verifyPasskeySignature(withFields(sig, { publicKey: compact }), TEXT);
      if (y < P - y) await expect(pending).resolves.toBeDefined();
      else await expectCode(pending, PasskeyErrorCodes.invalidSignature);
    }
  });

  it('signs the UTF-8 bytes of the text (non-ASCII text)', async () => {
    const text = `${TEXT}\nünïcödé ✓ 🔑`;
    const { sig } = sign({ text });
    await expect(verifyPasskeySignature(sig, text)).resolves.toBeDefined();
    expect(passkeyChallenge(text)).toBe(Buffer.from(text, 'utf8').toString('base64url'));
  });

  it('ignores the client data type and unknown fields (libxmtp checks only origin and challenge)', async () => {
    for (const extra of [
      { type: 'webauthn.create' },
      { type: undefined },
      { other_keys_can_be_added_here: 'do not compare clientDataJSON against a template. See https://goo.gl/yabPex' },
      { topOrigin: 'https://example.com', nested: { a: [1, 2.5e-3, -0, true, false, null, 'x\u0000y'] } },
    ]) {
      const { sig } = sign({ clientDataJson: clientDataFor(TEXT, extra) });
      await expect(verifyPasskeySignature(sig, TEXT)).resolves.toBeDefined();
    }
  });

  it('is a different signer for the same key with a different origin only in relyingParty', async () => {
    const secretKey = p256.utils.randomSecretKey();
    const a = await verifyPasskeySignature(sign({ secretKey }).sig, TEXT);
    const b = await verifyPasskeySignature(sign({ secretKey, clientDataJson: clientDataFor(TEXT, { origin: 'chrome-extension://abc' }) }).sig, TEXT);
    expect(a.signer.kind === 'passkey' && b.signer.kind === 'passkey' && bytesToHex(a.signer.key) === bytesToHex(b.signer.key)).toBe(true);
    expect(b.signer).toMatchObject({ relyingParty: 'chrome-extension://abc' });
  });
});

describe('verifyPasskeySignature: failures', () => {
  it('refuses a signature made for another text (challenge mismatch)', async () => {
    const { sig } = sign();
    const error = await expectCode(verifyPasskeySignature(sig, `${TEXT} `), PasskeyErrorCodes.challengeMismatch);
    expect(error.message).toMatch(/challenge/);
  });

  it('refuses challenges encoded with padding or standard base64, and raw text', async () => {
    const text = `${TEXT}??>>`; // base64 of this contains + and / and needs padding
    const b64 = Buffer.from(text, 'utf8').toString('base64');
    expect(b64).toMatch(/[+/=]/);
    for (const challenge of [b64, `${passkeyChallenge(text)}=`, text, passkeyChallenge(text).toUpperCase()]) {
      const { sig } = sign({ clientDataJson: utf8(JSON.stringify({ challenge, origin: ORIGIN })) });
      await expectCode(verifyPasskeySignature(sig, text), PasskeyErrorCodes.challengeMismatch);
    }
  });

  it('refuses client data that is not JSON, or lacks a string origin or challenge', async () => {
    const challenge = passkeyChallenge(TEXT);
    const bad = [
      '',
      'not json',
      `{"challenge":"${challenge}"}`,
      `{"origin":"${ORIGIN}"}`,
      `{"challenge":"${challenge}","origin":null}`,
      `{"challenge":"${challenge}","origin":42}`,
      `{"challenge":["${challenge}"],"origin":"${ORIGIN}"}`,
      `"${challenge}"`,
      'null',
      `{"challenge":"${challenge}","origin":"${ORIGIN}"`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}",}`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}"} x`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}"}{}`,
      `{challenge:"${challenge}","origin":"${ORIGIN}"}`,
      `{'challenge':'${challenge}','origin':'${ORIGIN}'}`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}","x":01}`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}","x":1.}`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}","x":[1,]}`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}","x":{"a":1,}}`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}","x":nul}`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}","x":"\\x"}`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}","x":"a\tb"}`,
      `{"challenge":"${challenge}","origin":"${ORIGIN}","x":NaN}`,
    ];
    for (const json of bad) {
      const { sig } = sign({ clientDataJson: utf8(json) });
      await expectCode(verifyPasskeySignature(sig, TEXT), PasskeyErrorCodes.invalidClientData);
    }
  });

  it('refuses duplicate origin or challenge fields (serde), even when equal', async () => {
    const challenge = passkeyChallenge(TEXT);
    for (const json of [
      `{"challenge":"${challenge}","origin":"${ORIGIN}","challenge":"${challenge}"}`,
      `{"origin":"https://evil.example","challenge":"${challenge}","origin":"${ORIGIN}"}`,
      `{"challenge":"${challenge}","orig\\u0069n":"${ORIGIN}","origin":"${ORIGIN}"}`,
    ]) {
      const { sig } = sign({ clientDataJson: utf8(json) });
      await expectCode(verifyPasskeySignature(sig, TEXT), PasskeyErrorCodes.invalidClientData);
    }
  });

  it('refuses a UTF-8 BOM before the JSON (serde_json does; TextDecoder would silently strip it)', async () => {
    const { sig } = sign({ clientDataJson: concatBytes(Uint8Array.of(0xef, 0xbb, 0xbf), clientDataFor(TEXT)) });
    await expectCode(verifyPasskeySignature(sig, TEXT), PasskeyErrorCodes.invalidClientData);
  });

  it('refuses invalid UTF-8 or lone surrogates in origin, and accepts them in ignored fields (as serde_json)', async () => {
    const challenge = passkeyChallenge(TEXT);
    const head = utf8(`{"challenge":"${challenge}","origin":"http://x`);
    const tail = utf8('"}');
    for (const json of [
      concatBytes(head, Uint8Array.of(0xc3), tail),
      concatBytes(head, Uint8Array.of(0xed, 0xa0, 0x80), tail), // UTF-8-encoded surrogate
      concatBytes(head, Uint8Array.of(0xc0, 0xaf), tail), // overlong '/'
      utf8(`{"challenge":"${challenge}","origin":"http://x\\ud800"}`),
      utf8(`{"challenge":"${challenge}","origin":"http://x\\udc00"}`),
      utf8(`{"challenge":"${challenge}","origin":"http://x\\ud800\\u0041"}`),
      concatBytes(utf8(`{"challenge":"${challenge}","origin":"${ORIGIN}","k`), Uint8Array.of(0xff), utf8('":1}')),
    ]) {
      const { sig } = sign({ clientDataJson: json });
      await expectCode(verifyPasskeySignature(sig, TEXT), PasskeyErrorCodes.invalidClientData);
    }
    for (const json of [
      concatBytes(utf8(`{"challenge":"${challenge}","origin":"${ORIGIN}","x":"`), Uint8Array.of(0xff, 0xc3), utf8('"}')),
      utf8(`{"challenge":"${challenge}","origin":"${ORIGIN}","x":"\\ud800","y":{"z":"\\udc00"}}`),
    ]) {
      const { sig } = sign({ clientDataJson: json });
      await expect(verifyPasskeySignature(sig, TEXT)).resolves.toBeDefined();
    }
  });

  it('reads escaped keys and values, serde struct-as-array form, and deep ignored values like libxmtp', async () => {
    const challenge = passkeyChallenge(TEXT);
    const ok: Array<[string, string]> = [
      [`{"orig\\u0069n":"http:\\/\\/localhost:5173","\\u0063hallenge":"${challenge}"}`, ORIGIN],
      [` \r\n\t{ "challenge" : "${challenge}" , "origin" : "${ORIGIN}" } \n`, ORIGIN],
      [`["${ORIGIN}","${challenge}"]`, ORIGIN],
      [`{"challenge":"${challenge}","origin":"\\ud83d\\udd11 é"}`, '\u{1f511} é'],
      [`{"challenge":"${challenge}","origin":"${ORIGIN}","deep":${'['.repeat(20000)}${']'.repeat(20000)}}`, ORIGIN],
    ];
    for (const [json, origin] of ok) {
      const { sig } = sign({ clientDataJson: utf8(json) });
      const verified = await verifyPasskeySignature(sig, TEXT);
      expect(verified.signer).toMatchObject({ relyingParty: origin });
    }
    for (const json of [`["${ORIGIN}"]`, `["${ORIGIN}","${challenge}","x"]`, `["${ORIGIN}","${challenge}",]`, `[1,"${challenge}"]`]) {
      const { sig } = sign({ clientDataJson: utf8(json) });
      await expectCode(verifyPasskeySignature(sig, TEXT), PasskeyErrorCodes.invalidClientData);
    }
  });

  it('refuses public keys that are not SEC1 P-256 points', async () => {
    const { sig } = sign();
    const key = sig.publicKey;
    const offCurve = Uint8Array.from(key);
    offCurve[64] = (offCurve[64] ?? 0) ^ 1;
    const noSqrt = (() => {
      for (let x = 1n; ; x++) {
        const candidate = concatBytes(Uint8Array.of(0x02), hexToBytes(x.toString(16).padStart(64, '0')));
        try {
          p256.Point.fromBytes(candidate);
        } catch {
          return candidate;
        }
      }
    })();
    const pBytes = hexToBytes(P.toString(16).padStart(64, '0'));
    for (const bad of [
      new Uint8Array(0),
      Uint8Array.of(0x00), // identity
      key.subarray(1), // raw x‖y without the SEC1 tag
      concatBytes(Uint8Array.of(0x06), key.subarray(1)), // hybrid encodings are not SEC1 in RustCrypto
      concatBytes(key, Uint8Array.of(0)),
      offCurve,
      noSqrt,
      concatBytes(Uint8Array.of(0x04), pBytes, key.subarray(33)), // x = p
      p256.getPublicKey(p256.utils.randomSecretKey(), true).subarray(0, 32),
    ]) {
      await expectCode(verifyPasskeySignature(withFields(sig, { publicKey: bad }), TEXT), PasskeyErrorCodes.invalidPublicKey);
    }
  });

  it('refuses signatures that are not strict DER with 1 <= r, s < n', async () => {
    const { sig, r, s } = sign();
    const be = (n: bigint) => hexToBytes(n.toString(16).padStart(64, '0'));
    const der = sig.signature;
    const bad = [
      new Uint8Array(0),
      rs(r, s), // raw 64-byte r‖s, not DER
      concatBytes(der, Uint8Array.of(0)), // trailing byte
      derOf(concatBytes(Uint8Array.of(0x00, 0x01), be(r).subarray(1)), be(s)), // unnecessary leading zero
      derOf(Uint8Array.of(0x80, ...be(r).subarray(1)), be(s)), // negative r
      derOf(Uint8Array.of(0), be(s)), // r = 0
      derOf(be(r), concatBytes(Uint8Array.of(0), be(N))), // s = n
      Uint8Array.of(0x31, ...der.subarray(1)), // SET, not SEQUENCE
      concatBytes(Uint8Array.of(0x30, 0x81, der.length - 2), der.subarray(2)), // non-minimal length
    ];
    for (const signature of bad) {
      await expectCode(verifyPasskeySignature(withFields(sig, { signature }), TEXT), PasskeyErrorCodes.malformedSignature);
    }
  });

  it('refuses tampered authenticator data, tampered client data, another key and wrong hashing', async () => {
    const good = sign();
    const authData = Uint8Array.from(good.sig.authenticatorData);
    authData[32] = 0x01; // flags: UP only
    const other = sign();
    const cases: RecoverablePasskeySignature[] = [
      withFields(good.sig, { authenticatorData: authData }),
      withFields(good.sig, { authenticatorData: authenticatorData('localhost', 2) }),
      withFields(good.sig, { authenticatorData: new Uint8Array(0) }),
      withFields(good.sig, { clientDataJson: clientDataFor(TEXT, { origin: 'https://evil.example' }) }),
      withFields(good.sig, { clientDataJson: utf8(` ${new TextDecoder().decode(good.sig.clientDataJson)}`) }),
      withFields(good.sig, { publicKey: other.sig.publicKey }),
      withFields(good.sig, { signature: other.sig.signature }),
    ];
    // Signed without hashing the client data, or over the raw concatenation with noble's own prehash twice.
    const secretKey = p256.utils.randomSecretKey();
    const cd = clientDataFor(TEXT);
    const ad = authenticatorData();
    for (const message of [concatBytes(ad, cd), sha256(sha256(concatBytes(ad, sha256(cd))))]) {
      const der = p256.sign(sha256(message), secretKey, { prehash: false, format: 'der' });
      cases.push(create(RecoverablePasskeySignatureSchema, { publicKey: p256.getPublicKey(secretKey, false), signature: der, authenticatorData: ad, clientDataJson: cd }));
    }
    for (const sig of cases) {
      await expectCode(verifyPasskeySignature(sig, TEXT), PasskeyErrorCodes.invalidSignature);
    }
  });

  it('checks in libxmtp order: client data, challenge, key, DER, then the signature', async () => {
    const { sig } = sign();
    const all = withFields(sig, { clientDataJson: utf8('{}'), publicKey: new Uint8Array(1), signature: new Uint8Array(1) });
    await expectCode(verifyPasskeySignature(all, TEXT), PasskeyErrorCodes.invalidClientData);
    await expectCode(verifyPasskeySignature(withFields(all, { clientDataJson: sig.clientDataJson }), 'other'), PasskeyErrorCodes.challengeMismatch);
    await expectCode(verifyPasskeySignature(withFields(all, { clientDataJson: sig.clientDataJson }), TEXT), PasskeyErrorCodes.invalidPublicKey);
    await expectCode(
      verifyPasskeySignature(withFields(all, { clientDataJson: sig.clientDataJson, publicKey: sig.publicKey }), TEXT),
      PasskeyErrorCodes.malformedSignature,
    );
  });

  it('refuses signatures of another kind, and fields that are not bytes (wrong type)', async () => {
    const { sig } = sign();
    const asProto = create(SignatureSchema, { signature: { case: 'passkey', value: sig } });
    await expect(verifyPasskeySignatureProto(asProto, TEXT)).resolves.toMatchObject({ kind: 'passkey' });
    const erc191 = create(SignatureSchema, { signature: { case: 'erc191', value: { bytes: new Uint8Array(65) } } });
    await expectCode(verifyPasskeySignatureProto(erc191, TEXT), PasskeyErrorCodes.wrongType);
    await expectCode(verifyPasskeySignatureProto(create(SignatureSchema, {}), TEXT), PasskeyErrorCodes.wrongType);
    const notBytes = { ...sig, signature: bytesToHex(sig.signature) } as unknown as RecoverablePasskeySignature;
    await expectCode(verifyPasskeySignature(notBytes, TEXT), PasskeyErrorCodes.wrongType);
  });
});

describe('passkey helpers', () => {
  it('base64url-encodes without padding exactly like Node', () => {
    for (let len = 0; len < 40; len++) {
      const bytes = p256.utils.randomSecretKey().subarray(0, Math.min(len, 32));
      const more = concatBytes(bytes, new Uint8Array(Math.max(0, len - 32)).fill(0xfb));
      expect(base64UrlEncode(more)).toBe(Buffer.from(more).toString('base64url'));
    }
  });

  it('parses client data like JSON.parse for ordinary documents', () => {
    const docs = [
      { type: 'webauthn.get', challenge: 'abc_-', origin: 'https://a.example:8443', crossOrigin: false },
      { origin: 'x', challenge: '', n: [1, { a: null }, 'é\n"\\/'], e: {} },
      { challenge: 'c', origin: 'o\u2028\u00e9\u{1f600}\t' },
    ];
    for (const doc of docs) {
      for (const json of [JSON.stringify(doc), JSON.stringify(doc, null, 2)]) {
        const parsed = parsePasskeyClientData(utf8(json));
        const expected = JSON.parse(json) as { origin: string; challenge: string };
        expect(parsed).toEqual({ origin: expected.origin, challenge: expected.challenge });
      }
    }
  });
});
