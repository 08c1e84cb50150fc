import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  authDataFromAttestationObject,
  decodeCbor,
  parseAttestedAuthenticatorData,
  PasskeyRegistrationErrorCodes,
  registrationPublicKey,
  spkiToSec1,
} from './passkey-attestation.js';

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | boolean | null;

function head(major: number, n: number): Uint8Array {
  if (n < 24) return Uint8Array.of((major << 5) | n);
  if (n < 0x100) return Uint8Array.of((major << 5) | 24, n);
  if (n < 0x10000) return Uint8Array.of((major << 5) | 25, n >> 8, n & 0xff);
  return Uint8Array.of((major << 5) | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

function encode(value: Cbor): Uint8Array {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const b = new TextEncoder().encode(value);
    return concatBytes(head(3, b.length), b);
  }
  if (value instanceof Uint8Array) return concatBytes(head(2, value.length), value);
  if (Array.isArray(value)) return concatBytes(head(4, value.length), ...value.map(encode));
  if (value instanceof Map) return concatBytes(head(5, value.size), ...[...value].flatMap(([k, v]) => [encode(k), encode(v)]));
  return Uint8Array.of(value === null ? 0xf6 : value ? 0xf5 : 0xf4);
}

function credential(opts: { alg?: number; crv?: number; kty?: number; extensions?: boolean } = {}) {
  const secretKey = p256.utils.randomSecretKey();
  const sec1 = p256.getPublicKey(secretKey, false);
  const cose = new Map<Cbor, Cbor>([
    [1, opts.kty ?? 2],
    [3, opts.alg ?? -7],
    [-1, opts.crv ?? 1],
    [-2, sec1.slice(1, 33)],
    [-3, sec1.slice(33)],
  ]);
  const credentialId = p256.utils.randomSecretKey().subarray(0, 20);
  const authData = concatBytes(
    sha256(new TextEncoder().encode('localhost')),
    Uint8Array.of(0x45 | (opts.extensions ? 0x80 : 0)), // UP | UV | AT (| ED)
    Uint8Array.of(0, 0, 0, 0),
    new Uint8Array(16), // aaguid
    Uint8Array.of(0, credentialId.length),
    credentialId,
    encode(cose),
    opts.extensions ? encode(new Map<Cbor, Cbor>([['credProtect', 2]])) : new Uint8Array(0),
  );
  const attestationObject = encode(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
  const { x, y } = p256.Point.fromBytes(sec1).toAffine();
  const b64u = (n: bigint) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').toString('base64url');
  const spki = new Uint8Array(
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(x), y: b64u(y) }, format: 'jwk' }).export({ type: 'spki', format: 'der' }),
  );
  return { sec1, credentialId, authData, attestationObject, spki };
}

describe('passkey registration public key', () => {
  it('reads the COSE key from the attestation object and agrees with SPKI, authData and the credential id', () => {
    const c = credential({ extensions: true });
    expect(parseAttestedAuthenticatorData(c.authData)).toMatchObject({ publicKey: c.sec1, credentialId: c.credentialId, flags: 0xc5 });
    expect(authDataFromAttestationObject(c.attestationObject)).toEqual(c.authData);
    expect(spkiToSec1(c.spki)).toEqual(c.sec1);
    expect(
      registrationPublicKey({ attestationObject: c.attestationObject, authenticatorData: c.authData, spki: c.spki, credentialId: c.credentialId }),
    ).toEqual(c.sec1);
    expect(registrationPublicKey({ attestationObject: c.attestationObject })).toEqual(c.sec1);
  });

  it('refuses non-ES256 keys, disagreeing parts and malformed data', () => {
    const c = credential();
    const other = credential();
    const refuse = (f: () => unknown) => expect(f).toThrowError(expect.objectContaining({ code: PasskeyRegistrationErrorCodes.badRegistration }));
    refuse(() => registrationPublicKey({ attestationObject: credential({ alg: -8 }).attestationObject }));
    refuse(() => registrationPublicKey({ attestationObject: credential({ crv: 2 }).attestationObject }));
    refuse(() => registrationPublicKey({ attestationObject: credential({ kty: 1 }).attestationObject }));
    refuse(() => registrationPublicKey({ attestationObject: c.attestationObject, spki: other.spki }));
    refuse(() => registrationPublicKey({ attestationObject: c.attestationObject, authenticatorData: other.authData }));
    refuse(() => registrationPublicKey({ attestationObject: c.attestationObject, credentialId: other.credentialId }));
    refuse(() => registrationPublicKey({ attestationObject: c.attestationObject.subarray(0, 60) }));
    refuse(() => parseAttestedAuthenticatorData(c.authData.subarray(0, 37)));
    const noAt = Uint8Array.from(c.authData);
    noAt[32] = 0x05;
    refuse(() => parseAttestedAuthenticatorData(noAt));
    refuse(() => spkiToSec1(c.spki.subarray(1)));
    refuse(() => decodeCbor(Uint8Array.of(0x9f))); // indefinite-length array
  });

  it('decodes the CBOR kinds WebAuthn uses', () => {
    const value = decodeCbor(encode(new Map<Cbor, Cbor>([[1, [-1, -25, 1000, 'é']], ['b', new Uint8Array([1, 2])], ['n', null], ['t', true]]))).value;
    expect(value).toEqual(new Map<unknown, unknown>([[1, [-1, -25, 1000, 'é']], ['b', new Uint8Array([1, 2])], ['n', null], ['t', true]]));
    expect(decodeCbor(Uint8Array.of(0xf9, 0x3c, 0x00)).value).toBe(1); // half float
    expect(decodeCbor(Uint8Array.of(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).value).toBe(2n ** 64n - 1n);
  });
});
