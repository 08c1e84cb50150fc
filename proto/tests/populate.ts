/**
 * Builds a fully populated value of any generated message: every field set to a distinct,
 * non-default value (so a swapped or renumbered field cannot go unnoticed), lists and maps with two
 * entries, one oneof member chosen by `variant`, nested messages to a bounded depth.
 */
import { create, ScalarType, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';

const MAX_DEPTH = 4;

export function populate(desc: DescMessage, variant: number): Message {
  const counter = { n: 1 };
  return create(desc, init(desc, variant, 0, counter) as never) as Message;
}

/** How many variants cover every member of every oneof reachable from `desc`. */
export function variantCount(desc: DescMessage, depth = 0, seen = new Set<string>()): number {
  if (depth >= MAX_DEPTH || seen.has(desc.typeName)) return 1;
  const next = new Set(seen).add(desc.typeName);
  let count = Math.max(1, ...desc.oneofs.map((o) => o.fields.length));
  for (const f of desc.fields) {
    const sub = f.fieldKind === 'message' ? f.message : f.fieldKind === 'list' || f.fieldKind === 'map' ? (f.message ?? undefined) : undefined;
    if (sub) count = Math.max(count, variantCount(sub, depth + 1, next));
  }
  return count;
}

function init(desc: DescMessage, variant: number, depth: number, counter: { n: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const oneof of desc.oneofs) {
    const chosen = oneof.fields[variant % oneof.fields.length]!;
    const value = fieldValue(chosen, variant, depth, counter);
    if (value !== undefined) out[oneof.localName] = { case: chosen.localName, value };
  }
  for (const field of desc.fields) {
    if (field.oneof) continue;
    const value = fieldValue(field, variant, depth, counter);
    if (value !== undefined) out[field.localName] = value;
  }
  return out;
}

function fieldValue(field: DescField, variant: number, depth: number, counter: { n: number }): unknown {
  switch (field.fieldKind) {
    case 'scalar':
      return scalar(field.scalar, field, counter);
    case 'enum':
      return enumValue(field.enum.values.map((v) => v.number), counter);
    case 'message':
      return depth + 1 >= MAX_DEPTH ? undefined : init(field.message, variant, depth + 1, counter);
    case 'list':
      if (field.listKind === 'message') {
        if (depth + 1 >= MAX_DEPTH) return undefined;
        return [init(field.message, variant, depth + 1, counter), init(field.message, variant + 1, depth + 1, counter)];
      }
      if (field.listKind === 'enum') {
        const values = field.enum.values.map((v) => v.number);
        return [enumValue(values, counter), enumValue(values, counter)];
      }
      return [scalar(field.scalar, field, counter), scalar(field.scalar, field, counter)];
    case 'map': {
      const entries: Record<string, unknown> = {};
      for (let i = 0; i < 2; i++) {
        const key = String(scalar(field.mapKey, field, counter));
        if (field.mapKind === 'message') {
          if (depth + 1 >= MAX_DEPTH) return undefined;
          entries[key] = init(field.message, variant + i, depth + 1, counter);
        } else if (field.mapKind === 'enum') {
          entries[key] = enumValue(field.enum.values.map((v) => v.number), counter);
        } else {
          entries[key] = scalar(field.scalar, field, counter);
        }
      }
      return entries;
    }
  }
}

function enumValue(values: number[], counter: { n: number }): number {
  const nonZero = values.filter((v) => v !== 0);
  const n = counter.n++;
  return nonZero.length > 0 ? nonZero[n % nonZero.length]! : 0;
}

function scalar(type: ScalarType, field: DescField, counter: { n: number }): unknown {
  const n = counter.n++;
  switch (type) {
    case ScalarType.STRING:
      return `${field.name}:${n}`;
    case ScalarType.BYTES:
      return new Uint8Array([n & 0xff, (n >> 8) & 0xff, 0xa5, field.number & 0xff]);
    case ScalarType.BOOL:
      return true;
    case ScalarType.INT32:
    case ScalarType.SFIXED32:
      return n * 7 + 1;
    case ScalarType.SINT32:
      return -(n * 7 + 1);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return 4_000_000_000 - n;
    case ScalarType.INT64:
    case ScalarType.SFIXED64:
      return 2n ** 40n + BigInt(n);
    case ScalarType.SINT64:
      return -(2n ** 40n + BigInt(n));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return 2n ** 63n + BigInt(n);
    case ScalarType.FLOAT:
      return n + 0.5;
    case ScalarType.DOUBLE:
      return n + 0.25;
  }
}
