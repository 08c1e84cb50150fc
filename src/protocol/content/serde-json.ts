/**
 * Writes JSON the way libxmtp's serde_json does, so the JSON content types encode to the same bytes:
 * fields in declaration order, `None` fields skipped, floats in Ryu's shortest form (`12.0`, `1e21`,
 * `1.5e-7`), strings escaped like serde_json (which JSON.stringify matches for well-formed strings).
 * Pure; runs everywhere.
 */

/** An f64 field: written as serde_json writes a Rust f64 (integral values keep `.0`). */
export class F64 {
  constructor(readonly value: number) {}
}

export type SerdeValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | F64
  | readonly SerdeValue[]
  | { readonly [key: string]: SerdeValue | undefined };

/** serde_json's f64 formatting (`ryu::Buffer::format_finite`; non-finite values become `null`). */
export function formatF64(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() with no argument gives the shortest round-tripping digits, as Ryu does.
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const length = digits.length;
  const kk = Number(exponentText) + 1; // the decimal point sits after `kk` digits
  const k = kk - length;
  let body: string;
  if (k >= 0 && kk <= 16) body = `${digits}${'0'.repeat(k)}.0`;
  else if (kk > 0 && kk <= 16) body = `${digits.slice(0, kk)}.${digits.slice(kk)}`;
  else if (kk > -5 && kk <= 0) body = `0.${'0'.repeat(-kk)}${digits}`;
  else if (length === 1) body = `${digits}e${kk - 1}`;
  else body = `${digits[0]}.${digits.slice(1)}e${kk - 1}`;
  return sign + body;
}

/** JSON text of `value`, keys in insertion order, `undefined` object fields left out. */
export function serdeJson(value: SerdeValue): string {
  if (value === null) return 'null';
  if (value instanceof F64) return formatF64(value.value);
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`serdeJson: ${value} is not an integer; wrap floats in F64`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${(value as readonly SerdeValue[]).map(serdeJson).join(',')}]`;
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value as { readonly [key: string]: SerdeValue | undefined })) {
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${serdeJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * A parsed JSON value (e.g. intent metadata) made writable: integral numbers are written as
 * integers and others as f64, as serde_json writes its own `Value`.
 */
export function serdeValueOf(value: unknown): SerdeValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string' || typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : new F64(value);
  if (Array.isArray(value)) return value.map(serdeValueOf);
  if (typeof value === 'object') {
    const out: Record<string, SerdeValue> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = serdeValueOf(v);
    return out;
  }
  throw new TypeError(`serdeValueOf: ${typeof value} is not JSON`);
}
