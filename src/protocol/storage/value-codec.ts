/**
 * Encodes stored values to bytes and back, keeping the types JSON loses (Uint8Array, bigint).
 * Used by stores that persist bytes (files; encrypted records). Pure; runs everywhere.
 */
import { XmtpError } from '../errors.js';
import type { StoredValue } from './store.js';

const BYTES = '$bytes';
const BIGINT = '$bigint';

function toJson(value: StoredValue): unknown {
  if (value instanceof Uint8Array) return { [BYTES]: base64(value) };
  if (typeof value === 'bigint') return { [BIGINT]: value.toString() };
  if (Array.isArray(value)) return value.map((v: StoredValue) => toJson(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new XmtpError('storage.invalid_value', `cannot store ${value}`);
  return value;
}

function fromJson(value: unknown): StoredValue {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === BYTES && typeof o[BYTES] === 'string') return unbase64(o[BYTES]);
    if (keys.length === 1 && keys[0] === BIGINT && typeof o[BIGINT] === 'string') return BigInt(o[BIGINT]);
    const out: Record<string, StoredValue> = {};
    for (const k of keys) out[k] = fromJson(o[k]);
    return out;
  }
  return value as StoredValue;
}

export function encodeStoredValue(value: StoredValue): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(toJson(value)));
}

export function decodeStoredValue(bytes: Uint8Array): StoredValue {
  try {
    return fromJson(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
  } catch (cause) {
    throw new XmtpError('storage.corrupt_record', 'A stored record could not be read', { cause });
  }
}

/** Chunks short enough for `String.fromCharCode.apply`'s argument limit. */
const CHUNK = 0x2000;

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  return btoa(s);
}

function unbase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
