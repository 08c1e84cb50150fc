/**
 * Passkey (WebAuthn, ECDSA P-256) identity signatures, verified exactly as libxmtp 1.10 does
 * (`crates/xmtp_id/src/associations/verified_signature.rs VerifiedSignature::from_passkey`).
 * Pure; runs everywhere (service worker, page, Node). Plugs into `verifySignature`'s `verifyPasskey`
 * dependency. (Passkey identifier strings: `toPasskeyIdentifier` / `decodeHex` in identifiers.ts.)
 *
 * libxmtp's rules, in its order:
 * 1. `client_data_json` deserialises (serde_json, `struct ClientDataJson { origin: String, challenge:
 *    String }`). Unknown fields are ignored; `type`, `crossOrigin` etc. are NOT checked.
 * 2. `challenge` equals base64url-without-padding of the UTF-8 signature text.
 * 3. `public_key` is a SEC1 P-256 point (`VerifyingKey::from_sec1_bytes`): 65-byte uncompressed
 *    (0x04), 33-byte compressed (0x02/0x03) and 33-byte "compact" (0x05, RustCrypto's extension:
 *    x only, y the smaller root) are accepted; the identity point is not.
 * 4. `signature` is strict ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`, 1 <= r, s < n.
 * 5. ECDSA verification over SHA-256(`authenticator_data || SHA-256(client_data_json)`).
 *    High-s signatures are accepted (p256's verifier does not normalise s; WebAuthn
 *    authenticators produce either half).
 * The signer is `Passkey { key: public_key (as given), relying_party: origin }` and the bytes kept
 * for replay detection are the signature as fixed-width `r || s` (64 bytes, `Signature::to_vec`),
 * not the DER bytes and not low-s normalised.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import type { RecoverablePasskeySignature, Signature } from '../../gen/identity/associations/signature_pb.js';
import { XmtpError } from '../errors.js';
import type { VerifiedSignature } from './signature-types.js';

export const PasskeyErrorCodes = {
  /** client_data_json is not what libxmtp's serde_json parse accepts (syntax, missing/duplicate/non-string origin or challenge). */
  invalidClientData: 'identity.passkey.invalid_client_data',
  /** The client data's challenge is not base64url(signature text). */
  challengeMismatch: 'identity.passkey.challenge_mismatch',
  /** public_key is not a valid SEC1 P-256 point. */
  invalidPublicKey: 'identity.passkey.invalid_public_key',
  /** signature is not strict DER with r and s in [1, n-1]. */
  malformedSignature: 'identity.passkey.malformed_signature',
  /** The ECDSA signature does not verify for this key, authenticator data and client data. */
  invalidSignature: 'identity.passkey.invalid_signature',
  /** Not a passkey signature (another kind in the Signature oneof, or fields that are not bytes). */
  wrongType: 'identity.passkey.wrong_type',
} as const;

/** The WebAuthn challenge a passkey signs for `text`: base64url, no padding, of its UTF-8 bytes. */
export function passkeyChallenge(text: string): string {
  return base64UrlEncode(utf8Encoder.encode(text));
}

/**
 * Verifies a passkey signature over an identity update's signature text, as libxmtp does.
 * Throws an XmtpError with a `PasskeyErrorCodes` code.
 */
export async function verifyPasskeySignature(sig: RecoverablePasskeySignature, text: string): Promise<VerifiedSignature> {
  return verifyPasskeySignatureSync(sig, text);
}

/** The same check on the `Signature` oneof: refuses any kind other than `passkey`. */
export async function verifyPasskeySignatureProto(signature: Signature, text: string): Promise<VerifiedSignature> {
  if (signature.signature.case !== 'passkey') {
    throw new XmtpError(
      PasskeyErrorCodes.wrongType,
      `Expected a passkey signature, got ${signature.signature.case ?? 'no signature'}`,
    );
  }
  return verifyPasskeySignature(signature.signature.value, text);
}

function verifyPasskeySignatureSync(sig: RecoverablePasskeySignature, text: string): VerifiedSignature {
  const { publicKey, signature, authenticatorData, clientDataJson } = sig;
  for (const [name, value] of Object.entries({ publicKey, signature, authenticatorData, clientDataJson })) {
    if (!(value instanceof Uint8Array)) {
      throw new XmtpError(PasskeyErrorCodes.wrongType, `Passkey signature field ${name} must be bytes`);
    }
  }

  const clientData = parsePasskeyClientData(clientDataJson);
  const expected = passkeyChallenge(text);
  if (clientData.challenge !== expected) {
    throw new XmtpError(
      PasskeyErrorCodes.challengeMismatch,
      'Passkey client data challenge is not base64url of the signature text (signed for another text?)',
    );
  }

  const point = parseSec1PublicKey(publicKey);

  let rs: Uint8Array;
  try {
    rs = p256.Signature.fromBytes(signature, 'der').toBytes('compact');
  } catch (cause) {
    throw new XmtpError(PasskeyErrorCodes.malformedSignature, 'Passkey signature is not a DER ECDSA P-256 signature', { cause });
  }

  // WebAuthn: the authenticator signs authenticatorData || SHA-256(clientDataJSON) with ES256, i.e.
  // ECDSA over SHA-256 of that concatenation. We hash here and tell noble not to hash again.
  const digest = sha256(concatBytes(authenticatorData, sha256(clientDataJson)));
  let ok: boolean;
  try {
    ok = p256.verify(rs, digest, point, { prehash: false, lowS: false, format: 'compact' });
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new XmtpError(
      PasskeyErrorCodes.invalidSignature,
      'Passkey signature does not verify over the authenticator data and client data',
    );
  }

  return {
    kind: 'passkey',
    signer: { kind: 'passkey', key: Uint8Array.from(publicKey), relyingParty: clientData.origin },
    replayKey: rs,
  };
}

// ---------------------------------------------------------------------------------------------
// SEC1 public keys (RustCrypto sec1 0.7 + primeorder 0.13 semantics)

/** Returns the 65-byte uncompressed encoding of a SEC1 P-256 public key, or throws. */
export function parseSec1PublicKey(key: Uint8Array): Uint8Array {
  const bad = (why: string, cause?: unknown) =>
    new XmtpError(PasskeyErrorCodes.invalidPublicKey, `Passkey public key is not a SEC1 P-256 point: ${why}`, cause === undefined ? {} : { cause });
  const tag = key[0];
  try {
    if (tag === 0x04 && key.length === 65) return p256.Point.fromBytes(key).toBytes(false);
    if ((tag === 0x02 || tag === 0x03) && key.length === 33) return p256.Point.fromBytes(key).toBytes(false);
    if (tag === 0x05 && key.length === 33) {
      // Compact: x only; y is the smaller of the two square roots (primeorder `decompact`).
      const even = p256.Point.fromBytes(concatBytes(Uint8Array.of(0x02), key.subarray(1)));
      const { x, y } = even.toAffine();
      const p = p256.Point.CURVE().p;
      const smallY = y < p - y ? y : p - y;
      return p256.Point.fromAffine({ x, y: smallY }).toBytes(false);
    }
  } catch (cause) {
    throw bad('not on the curve', cause);
  }
  if (key.length === 0) throw bad('empty');
  throw bad(`unsupported encoding (tag 0x${(tag ?? 0).toString(16).padStart(2, '0')}, ${key.length} bytes)`);
}

// ---------------------------------------------------------------------------------------------
// client_data_json, parsed exactly as serde_json 1.0.149 (`from_slice`) deserialises libxmtp's
// `#[derive(Deserialize)] struct ClientDataJson { origin: String, challenge: String }`:
// - the top level is an object, or (serde's struct-as-sequence form) an array of exactly
//   [origin, challenge];
// - keys and the two field values are strings that must be valid UTF-8 with paired surrogate
//   escapes; a field given twice is an error, unknown fields are skipped with any JSON value
//   (whose strings are not UTF-8-checked and may hold lone surrogate escapes);
// - no BOM, JSON whitespace only (space, \t, \n, \r), nothing after the value.
// JSON.parse differs on duplicates (last wins), BOMs (TextDecoder strips them), arrays and
// invalid UTF-8, so the bytes are scanned here instead.

export interface PasskeyClientData {
  readonly origin: string;
  readonly challenge: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** The one-character escapes JSON has: `\" \\ \/ \b \f \n \r \t` → the byte each stands for. */
const SIMPLE_ESCAPES = new Map<number, number>([
  [0x22, 0x22],
  [0x5c, 0x5c],
  [0x2f, 0x2f],
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
]);
const utf8Encoder = new TextEncoder();

class ClientDataReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  fail(why: string): never {
    throw new XmtpError(PasskeyErrorCodes.invalidClientData, `Passkey client_data_json is invalid: ${why} at byte ${this.pos}`);
  }

  /** Skips whitespace; the next byte, or undefined at the end. */
  peekNonWs(): number | undefined {
    for (;;) {
      const b = this.bytes[this.pos];
      if (b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d) this.pos++;
      else return b;
    }
  }

  eat(): void {
    this.pos++;
  }

  parse(): PasskeyClientData {
    const first = this.peekNonWs();
    let result: PasskeyClientData;
    if (first === 0x7b /* { */) {
      this.eat();
      result = this.parseObject();
    } else if (first === 0x5b /* [ */) {
      this.eat();
      result = this.parseSequence();
    } else {
      this.fail(first === undefined ? 'empty' : 'expected a JSON object');
    }
    if (this.peekNonWs() !== undefined) this.fail('trailing characters');
    return result;
  }

  private parseObject(): PasskeyClientData {
    let origin: string | undefined;
    let challenge: string | undefined;
    let first = true;
    for (;;) {
      const b = this.peekNonWs();
      if (b === undefined) this.fail('unexpected end of object');
      if (b === 0x7d /* } */) break;
      if (first) {
        first = false;
        if (b !== QUOTE) this.fail('key must be a string');
      } else if (b === 0x2c /* , */) {
        this.eat();
        const next = this.peekNonWs();
        if (next === 0x7d) this.fail('trailing comma');
        if (next === undefined) this.fail('unexpected end of object');
        if (next !== QUOTE) this.fail('key must be a string');
      } else {
        this.fail('expected , or } in object');
      }
      this.eat(); // opening quote of the key
      const key = this.readString();
      this.colon();
      if (key === 'origin') {
        if (origin !== undefined) this.fail('duplicate field `origin`');
        origin = this.stringValue('origin');
      } else if (key === 'challenge') {
        if (challenge !== undefined) this.fail('duplicate field `challenge`');
        challenge = this.stringValue('challenge');
      } else {
        this.skipValue();
      }
    }
    if (origin === undefined) this.fail('missing field `origin`');
    if (challenge === undefined) this.fail('missing field `challenge`');
    this.eat(); // }
    return { origin, challenge };
  }

  private parseSequence(): PasskeyClientData {
    const values: string[] = [];
    for (const field of ['origin', 'challenge']) {
      const b = this.peekNonWs();
      if (b === undefined) this.fail('unexpected end of array');
      if (b === 0x5d /* ] */) this.fail(`array has ${values.length} elements, expected 2`);
      if (values.length > 0) {
        if (b !== 0x2c) this.fail('expected , or ] in array');
        this.eat();
        const next = this.peekNonWs();
        if (next === 0x5d) this.fail('trailing comma');
        if (next === undefined) this.fail('unexpected end of array');
      }
      values.push(this.stringValue(field));
    }
    const end = this.peekNonWs();
    if (end !== 0x5d) this.fail(end === undefined ? 'unexpected end of array' : 'array has more than 2 elements');
    this.eat();
    return { origin: values[0] as string, challenge: values[1] as string };
  }

  private colon(): void {
    const b = this.peekNonWs();
    if (b === undefined) this.fail('unexpected end of object');
    if (b !== 0x3a /* : */) this.fail('expected :');
    this.eat();
  }

  private stringValue(field: string): string {
    const b = this.peekNonWs();
    if (b === undefined) this.fail('unexpected end of value');
    if (b !== QUOTE) this.fail(`field \`${field}\` must be a string`);
    this.eat();
    return this.readString();
  }

  private hex4(): number {
    if (this.pos + 4 > this.bytes.length) this.fail('unexpected end of string');
    let n = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.bytes[this.pos++] as number;
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) this.fail('invalid \\u escape');
      n = (n << 4) | d;
    }
    return n;
  }

  /** A string whose value is used (after the opening quote): escapes decoded and validated, UTF-8 checked. */
  private readString(): string {
    const out: number[] = [];
    const pushCodePoint = (cp: number) => {
      for (const byte of utf8Encoder.encode(String.fromCodePoint(cp))) out.push(byte);
    };
    for (;;) {
      const b = this.bytes[this.pos];
      if (b === undefined) this.fail('unexpected end of string');
      this.pos++;
      if (b === QUOTE) break;
      if (b < 0x20) this.fail('control character in string');
      if (b !== BACKSLASH) {
        out.push(b);
        continue;
      }
      const e = this.bytes[this.pos];
      if (e === undefined) this.fail('unexpected end of string');
      this.pos++;
      const mapped = SIMPLE_ESCAPES.get(e);
      if (mapped !== undefined) {
        out.push(mapped);
        continue;
      }
      if (e !== 0x75 /* u */) this.fail('invalid escape');
      const n = this.hex4();
      if (n >= 0xdc00 && n <= 0xdfff) this.fail('lone surrogate in \\u escape');
      if (n < 0xd800 || n > 0xdbff) {
        pushCodePoint(n);
        continue;
      }
      if (this.bytes[this.pos] !== BACKSLASH || this.bytes[this.pos + 1] !== 0x75) {
        this.fail('unpaired surrogate in \\u escape');
      }
      this.pos += 2;
      const n2 = this.hex4();
      if (n2 < 0xdc00 || n2 > 0xdfff) this.fail('lone surrogate in \\u escape');
      pushCodePoint(0x10000 + ((n - 0xd800) << 10) + (n2 - 0xdc00));
    }
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(out));
    } catch {
      this.fail('string is not valid UTF-8');
    }
  }

  /** A string that is skipped (after the opening quote): escapes checked for shape only, bytes not UTF-8-checked. */
  private skipString(): void {
    for (;;) {
      const b = this.bytes[this.pos];
      if (b === undefined) this.fail('unexpected end of string');
      this.pos++;
      if (b === QUOTE) return;
      if (b < 0x20) this.fail('control character in string');
      if (b !== BACKSLASH) continue;
      const e = this.bytes[this.pos];
      if (e === undefined) this.fail('unexpected end of string');
      this.pos++;
      if (e === 0x75) this.hex4();
      else if (!SIMPLE_ESCAPES.has(e)) this.fail('invalid escape');
    }
  }

  private skipLiteral(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.bytes[this.pos] !== word.charCodeAt(i)) this.fail('invalid literal');
      this.pos++;
    }
  }

  private digits(): number {
    let count = 0;
    for (let c = this.bytes[this.pos]; c !== undefined && c >= 0x30 && c <= 0x39; c = this.bytes[this.pos]) {
      this.pos++;
      count++;
    }
    return count;
  }

  private skipNumber(): void {
    if (this.bytes[this.pos] === 0x2d /* - */) this.pos++;
    const lead = this.bytes[this.pos];
    if (lead === 0x30) {
      this.pos++;
      const c = this.bytes[this.pos];
      if (c !== undefined && c >= 0x30 && c <= 0x39) this.fail('invalid number');
    } else if (lead !== undefined && lead >= 0x31 && lead <= 0x39) {
      this.digits();
    } else {
      this.fail('invalid number');
    }
    if (this.bytes[this.pos] === 0x2e /* . */) {
      this.pos++;
      if (this.digits() === 0) this.fail('invalid number');
    }
    const e = this.bytes[this.pos];
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      const sign = this.bytes[this.pos];
      if (sign === 0x2b || sign === 0x2d) this.pos++;
      if (this.digits() === 0) this.fail('invalid number');
    }
  }

  /** Skips one JSON value of any depth (iteratively: serde_json's ignore_value has no depth limit). */
  private skipValue(): void {
    const stack: number[] = []; // open brackets: 0x5b [ or 0x7b {
    for (;;) {
      // A value is expected here.
      const b = this.peekNonWs();
      if (b === undefined) this.fail('unexpected end of value');
      let opened = false;
      if (b === QUOTE) {
        this.eat();
        this.skipString();
      } else if (b === 0x6e) this.skipLiteral('null');
      else if (b === 0x74) this.skipLiteral('true');
      else if (b === 0x66) this.skipLiteral('false');
      else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) this.skipNumber();
      else if (b === 0x5b || b === 0x7b) {
        this.eat();
        stack.push(b);
        opened = true;
      } else this.fail('expected a value');

      // After a value (or just after an opening bracket): close containers, or find the next value.
      let first = opened;
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return;
        const c = this.peekNonWs();
        if (c === undefined) this.fail(top === 0x5b ? 'unexpected end of array' : 'unexpected end of object');
        if ((top === 0x5b && c === 0x5d) || (top === 0x7b && c === 0x7d)) {
          this.eat();
          stack.pop();
          first = false;
          continue;
        }
        if (!first) {
          if (c !== 0x2c) this.fail(top === 0x5b ? 'expected , or ] in array' : 'expected , or } in object');
          this.eat();
        }
        if (top === 0x7b) {
          if (this.peekNonWs() !== QUOTE) this.fail('key must be a string');
          this.eat();
          this.skipString();
          this.colon();
        }
        break;
      }
    }
  }
}

/** Parses WebAuthn client data the way libxmtp does (see above). Throws `identity.passkey.invalid_client_data`. */
export function parsePasskeyClientData(clientDataJson: Uint8Array): PasskeyClientData {
  return new ClientDataReader(clientDataJson).parse();
}

// ---------------------------------------------------------------------------------------------

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (RFC 4648 §5), as WebAuthn and libxmtp's BASE64_URL_SAFE_NO_PAD use. */
export function base64UrlEncode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const n = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += B64URL[(n >> 18) & 63];
    out += B64URL[(n >> 12) & 63];
    if (b1 !== undefined) out += B64URL[(n >> 6) & 63];
    if (b2 !== undefined) out += B64URL[n & 63];
  }
  return out;
}
