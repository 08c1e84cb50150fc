/**
 * Getting a passkey's P-256 public key, as the SEC1 bytes XMTP identifies it by, out of a WebAuthn
 * registration: from the COSE key in the attested credential data (authenticatorData, or the
 * attestationObject's `authData`), cross-checked against the SPKI `getPublicKey()` gives when the
 * browser exposes it. Pure (no browser APIs), so it is unit-tested in Node.
 */
import { p256 } from '@noble/curves/nist.js';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { XmtpError } from '../protocol/errors.js';

export const PasskeyRegistrationErrorCodes = {
  /** The registration response does not hold a usable ES256 (P-256) credential public key. */
  badRegistration: 'passkey.bad_registration',
} as const;

function bad(message: string): XmtpError {
  return new XmtpError(PasskeyRegistrationErrorCodes.badRegistration, `Passkey registration: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// A tiny CBOR (RFC 8949) reader: definite lengths only (CTAP2 canonical CBOR), enough for
// attestation objects and COSE keys.

export type CborValue = number | bigint | string | boolean | null | undefined | Uint8Array | CborValue[] | Map<CborValue, CborValue>;

/** Decodes one CBOR item starting at `offset`; returns it and the offset just after it. */
export function decodeCbor(bytes: Uint8Array, offset = 0, depth = 0): { value: CborValue; end: number } {
  if (depth > 16) throw bad('CBOR nested too deeply');
  let pos = offset;
  const byte = (): number => {
    const b = bytes[pos++];
    if (b === undefined) throw bad('CBOR truncated');
    return b;
  };
  const initial = byte();
  const major = initial >> 5;
  const info = initial & 0x1f;
  let arg: bigint;
  if (info < 24) arg = BigInt(info);
  else if (info <= 27) {
    const size = 1 << (info - 24);
    arg = 0n;
    for (let i = 0; i < size; i++) arg = (arg << 8n) | BigInt(byte());
  } else throw bad('indefinite-length or reserved CBOR item');

  const length = (): number => {
    if (arg > BigInt(bytes.length - pos)) throw bad('CBOR length past the end');
    return Number(arg);
  };
  const small = (n: bigint): number | bigint => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);

  switch (major) {
    case 0:
      return { value: small(arg), end: pos };
    case 1:
      return { value: typeof small(arg) === 'number' ? -1 - Number(arg) : -1n - arg, end: pos };
    case 2: {
      const n = length();
      return { value: bytes.slice(pos, pos + n), end: pos + n };
    }
    case 3: {
      const n = length();
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(pos, pos + n));
      } catch {
        throw bad('CBOR text is not UTF-8');
      }
      return { value: text, end: pos + n };
    }
    case 4: {
      const n = length();
      const items: CborValue[] = [];
      for (let i = 0; i < n; i++) {
        const item = decodeCbor(bytes, pos, depth + 1);
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    case 5: {
      const n = length();
      const map = new Map<CborValue, CborValue>();
      for (let i = 0; i < n; i++) {
        const key = decodeCbor(bytes, pos, depth + 1);
        const value = decodeCbor(bytes, key.end, depth + 1);
        if (map.has(key.value)) throw bad('duplicate CBOR map key');
        map.set(key.value, value.value);
        pos = value.end;
      }
      return { value: map, end: pos };
    }
    case 6:
      return decodeCbor(bytes, pos, depth + 1); // tag: the tagged item
    default: {
      // major 7: simple values and floats
      if (info === 20) return { value: false, end: pos };
      if (info === 21) return { value: true, end: pos };
      if (info === 22) return { value: null, end: pos };
      if (info === 23) return { value: undefined, end: pos };
      if (info >= 25 && info <= 27) {
        const size = 1 << (info - 24);
        const view = new DataView(bytes.buffer, bytes.byteOffset + pos - size, size);
        const value = size === 2 ? halfToNumber(view.getUint16(0)) : size === 4 ? view.getFloat32(0) : view.getFloat64(0);
        return { value, end: pos };
      }
      return { value: undefined, end: pos };
    }
  }
}

function halfToNumber(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * 2 ** -14 * (mant / 1024);
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

// ---------------------------------------------------------------------------------------------

/** COSE_Key (RFC 9053) of an ES256 credential → 65-byte uncompressed SEC1 point. */
export function coseKeyToSec1(cose: CborValue): Uint8Array {
  if (!(cose instanceof Map)) throw bad('credential public key is not a COSE map');
  const kty = cose.get(1);
  const alg = cose.get(3);
  const crv = cose.get(-1);
  const x = cose.get(-2);
  const y = cose.get(-3);
  if (kty !== 2) throw bad(`credential key type ${String(kty)} is not EC2`);
  if (alg !== -7) throw bad(`credential algorithm ${String(alg)} is not ES256 (-7)`);
  if (crv !== 1) throw bad(`credential curve ${String(crv)} is not P-256`);
  if (!(x instanceof Uint8Array) || x.length !== 32 || !(y instanceof Uint8Array) || y.length !== 32) {
    throw bad('credential key coordinates are not 32 bytes');
  }
  const sec1 = concatBytes(Uint8Array.of(0x04), x, y);
  try {
    p256.Point.fromBytes(sec1);
  } catch {
    throw bad('credential key is not on P-256');
  }
  return sec1;
}

export interface AttestedCredential {
  readonly rpIdHash: Uint8Array;
  readonly flags: number;
  readonly signCount: number;
  readonly credentialId: Uint8Array;
  /** 65-byte uncompressed SEC1. */
  readonly publicKey: Uint8Array;
}

/** Reads authenticator data that carries attested credential data (a registration's). */
export function parseAttestedAuthenticatorData(authData: Uint8Array): AttestedCredential {
  if (authData.length < 37 + 18) throw bad('authenticator data too short to hold a credential');
  const view = new DataView(authData.buffer, authData.byteOffset, authData.byteLength);
  const flags = authData[32] as number;
  if (!(flags & 0x40)) throw bad('authenticator data has no attested credential data (AT flag clear)');
  const idLength = view.getUint16(53);
  const keyStart = 55 + idLength;
  if (keyStart > authData.length) throw bad('credential id past the end of authenticator data');
  const { value } = decodeCbor(authData, keyStart);
  return {
    rpIdHash: authData.slice(0, 32),
    flags,
    signCount: view.getUint32(33),
    credentialId: authData.slice(55, keyStart),
    publicKey: coseKeyToSec1(value),
  };
}

/** The `authData` of a CBOR attestation object (`{fmt, attStmt, authData}`). */
export function authDataFromAttestationObject(attestationObject: Uint8Array): Uint8Array {
  const { value } = decodeCbor(attestationObject);
  const authData = value instanceof Map ? value.get('authData') : undefined;
  if (!(authData instanceof Uint8Array)) throw bad('attestation object has no authData');
  return authData;
}

/** DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1) up to the 65-byte point. */
const P256_SPKI_PREFIX = '3059301306072a8648ce3d020106082a8648ce3d030107034200';

/** SubjectPublicKeyInfo (what `getPublicKey()` returns) of a P-256 key → 65-byte uncompressed SEC1. */
export function spkiToSec1(spki: Uint8Array): Uint8Array {
  if (spki.length !== 91 || bytesToHex(spki.subarray(0, 26)) !== P256_SPKI_PREFIX || spki[26] !== 0x04) {
    throw bad('SubjectPublicKeyInfo is not an uncompressed P-256 key');
  }
  const sec1 = spki.slice(26);
  try {
    p256.Point.fromBytes(sec1);
  } catch {
    throw bad('SubjectPublicKeyInfo key is not on P-256');
  }
  return sec1;
}

/**
 * The credential's SEC1 public key from a registration response's parts: the COSE key in the
 * attestation object's authData, which must agree with `getAuthenticatorData()`, `getPublicKey()`
 * (SPKI) and the credential id when those are given.
 */
export function registrationPublicKey(parts: {
  readonly attestationObject: Uint8Array;
  readonly authenticatorData?: Uint8Array;
  readonly spki?: Uint8Array;
  readonly credentialId?: Uint8Array;
}): Uint8Array {
  const authData = authDataFromAttestationObject(parts.attestationObject);
  if (parts.authenticatorData && bytesToHex(parts.authenticatorData) !== bytesToHex(authData)) {
    throw bad('getAuthenticatorData() differs from the attestation object authData');
  }
  const attested = parseAttestedAuthenticatorData(authData);
  if (parts.credentialId && bytesToHex(parts.credentialId) !== bytesToHex(attested.credentialId)) {
    throw bad('credential id in authenticator data differs from the credential returned');
  }
  if (parts.spki && bytesToHex(spkiToSec1(parts.spki)) !== bytesToHex(attested.publicKey)) {
    throw bad('getPublicKey() and the attested COSE key differ');
  }
  return attested.publicKey;
}
