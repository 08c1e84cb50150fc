/**
 * RFC 9420 §2.1.2 variable-length vectors: the few byte-level helpers the XMTP layer needs around
 * ts-mls (which does the full TLS encoding). Pure; runs everywhere.
 */

/** Bytes the MLS varint length prefix of a vector of `length` bytes takes. */
export function varintSize(length: number): number {
  if (length < 0 || !Number.isInteger(length)) throw new RangeError(`invalid vector length ${length}`);
  if (length < 1 << 6) return 1;
  if (length < 1 << 14) return 2;
  if (length < 1 << 30) return 4;
  throw new RangeError(`vector too long: ${length}`);
}

/** `opaque data<V>`: the MLS varint length prefix followed by the bytes. */
export function encodeVector(data: Uint8Array): Uint8Array {
  const n = data.length;
  const size = varintSize(n);
  const out = new Uint8Array(size + n);
  if (size === 1) out[0] = n;
  else if (size === 2) {
    out[0] = 0x40 | (n >> 8);
    out[1] = n & 0xff;
  } else {
    out[0] = 0x80 | (n >>> 24);
    out[1] = (n >>> 16) & 0xff;
    out[2] = (n >>> 8) & 0xff;
    out[3] = n & 0xff;
  }
  out.set(data, size);
  return out;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The bytes as WebCrypto takes them (an ArrayBuffer, not a SharedArrayBuffer, behind the view). */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  if (a.length >= 64 && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    // Long inputs (a GroupContext, a key package) four bytes at a time.
    const words = a.length >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    for (let w = 0; w < words; w++) if (wa[w] !== wb[w]) return false;
    i = words << 2;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const textEncoder = new TextEncoder();

/** RFC 9420 §5.1.2 SignContent for SignWithLabel / VerifyWithLabel. */
export function signContent(label: string, content: Uint8Array): Uint8Array {
  return concatBytes(encodeVector(textEncoder.encode(`MLS 1.0 ${label}`)), encodeVector(content));
}

/**
 * Reads one `opaque data<V>` at `offset`: returns the bytes and the offset after them, or undefined
 * if the prefix is malformed, not minimal (RFC 9420 §2.1.2 requires the shortest encoding), or runs
 * past the end.
 */
export function decodeVector(bytes: Uint8Array, offset = 0): [Uint8Array, number] | undefined {
  const first = bytes[offset];
  if (first === undefined) return undefined;
  const prefix = first >> 6;
  if (prefix === 3) return undefined;
  const size = 1 << prefix;
  if (offset + size > bytes.length) return undefined;
  let n = first & 0x3f;
  for (let i = 1; i < size; i++) n = n * 256 + bytes[offset + i]!;
  if (varintSize(n) !== size) return undefined;
  const start = offset + size;
  if (start + n > bytes.length) return undefined;
  return [bytes.subarray(start, start + n), start + n];
}
