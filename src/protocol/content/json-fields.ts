/**
 * Reading the JSON content types (transaction reference, wallet send calls, actions, intent,
 * reaction v1) with serde's rules: required fields must be present with the right JSON type,
 * `Option` fields may be absent or null, unknown fields are ignored. Pure; runs everywhere.
 *
 * Guarantees: every failure is a `content.malformed` XmtpError naming the type and the field.
 */
import { ContentErrorCodes, contentError } from './content-errors.js';
import { utf8Text } from './content-fields.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

function malformed(what: string, why: string, cause?: unknown) {
  return contentError(ContentErrorCodes.malformed, `${what}: ${why}`, cause);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses UTF-8 JSON whose top level must be an object. */
export function parseJsonObject(bytes: Uint8Array, what: string): JsonObject {
  const text = utf8Text(bytes, what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw malformed(what, 'not JSON', cause);
  }
  if (!isJsonObject(value)) throw malformed(what, 'expected a JSON object');
  return value;
}

export function field(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** The first of `keys` present (serde's `alias`). */
export function aliasedField(object: JsonObject, keys: readonly string[]): JsonValue | undefined {
  for (const key of keys) if (Object.hasOwn(object, key)) return object[key];
  return undefined;
}

export function requiredString(object: JsonObject, key: string, what: string): string {
  const value = field(object, key);
  if (typeof value !== 'string') throw malformed(what, value === undefined ? `missing field ${key}` : `${key} must be a string`);
  return value;
}

export function optionalString(value: JsonValue | undefined, key: string, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw malformed(what, `${key} must be a string`);
  return value;
}

export function requiredNumber(object: JsonObject, key: string, what: string): number {
  const value = field(object, key);
  if (typeof value !== 'number') throw malformed(what, value === undefined ? `missing field ${key}` : `${key} must be a number`);
  return value;
}

export function requiredU32(object: JsonObject, key: string, what: string): number {
  const value = requiredNumber(object, key, what);
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw malformed(what, `${key} must be a u32`);
  return value;
}

export function requiredArray(object: JsonObject, key: string, what: string): JsonValue[] {
  const value = field(object, key);
  if (!Array.isArray(value)) throw malformed(what, value === undefined ? `missing field ${key}` : `${key} must be an array`);
  return value;
}

export function requiredObject(value: JsonValue | undefined, key: string, what: string): JsonObject {
  if (!isJsonObject(value)) throw malformed(what, value === undefined ? `missing field ${key}` : `${key} must be an object`);
  return value;
}

/** A `HashMap<String, String>`: absent or null → undefined; every value must be a string. */
export function optionalStringMap(value: JsonValue | undefined, key: string, what: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const object = requiredObject(value, key, what);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(object)) {
    if (typeof v !== 'string') throw malformed(what, `${key}.${k} must be a string`);
    out[k] = v;
  }
  return out;
}
