/**
 * Field-by-field comparison of a value decoded by our generated code (protobuf-es) with the same
 * bytes decoded by the official ts-proto codecs (@xmtp/proto): every field of ours must be present
 * under the same name with the same value, and theirs may carry nothing we do not define.
 */
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';

type Obj = Record<string, unknown>;

/**
 * `skip`: message types deliberately not compared (their revision in @xmtp/proto differs from
 * libxmtp 1.10's); where they are nested, only their presence is compared.
 */
export function compareWithOfficial(
  desc: DescMessage,
  ours: unknown,
  theirs: unknown,
  skip: ReadonlySet<string> = new Set(),
  path = desc.name,
): string[] {
  if (skip.has(desc.typeName)) return (ours === undefined) === (theirs === undefined) ? [] : [`${path}: presence differs`];
  const problems: string[] = [];
  const o = ours as Obj;
  const t = theirs as Obj;
  const known = new Set(desc.fields.map((f) => f.localName));
  for (const key of Object.keys(t)) {
    if (!known.has(key) && t[key] !== undefined) problems.push(`${path}.${key}: official field unknown to us`);
  }
  for (const field of desc.fields) {
    const at = `${path}.${field.localName}`;
    let ourValue: unknown;
    if (field.oneof) {
      const sel = o[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
      ourValue = sel?.case === field.localName ? sel.value : undefined;
    } else {
      ourValue = o[field.localName];
    }
    problems.push(...compareField(field, ourValue, t[field.localName], skip, at));
  }
  return problems;
}

function compareField(field: DescField, ours: unknown, theirs: unknown, skip: ReadonlySet<string>, at: string): string[] {
  switch (field.fieldKind) {
    case 'scalar':
      if (ours === undefined) return theirs === undefined || isDefault(theirs) ? [] : [`${at}: unset here, ${show(theirs)} there`];
      return sameScalar(field.scalar, ours, theirs) ? [] : [`${at}: ${show(ours)} vs ${show(theirs)}`];
    case 'enum':
      if (ours === undefined) return theirs === undefined || theirs === 0 ? [] : [`${at}: unset here, ${show(theirs)} there`];
      return ours === theirs ? [] : [`${at}: enum ${show(ours)} vs ${show(theirs)}`];
    case 'message':
      if (ours === undefined) return theirs === undefined ? [] : [`${at}: unset here, set there`];
      if (theirs === undefined) return [`${at}: set here, unset there`];
      return compareWithOfficial(field.message, ours, theirs, skip, at);
    case 'list': {
      const a = ours as unknown[];
      const b = theirs as unknown[] | undefined;
      if (!Array.isArray(b) || a.length !== b.length) return [`${at}: list length ${a.length} vs ${show(b)}`];
      return a.flatMap((x, i) => {
        const where = `${at}[${i}]`;
        if (field.listKind === 'message') return compareWithOfficial(field.message, x, b[i], skip, where);
        if (field.listKind === 'enum') return x === b[i] ? [] : [`${where}: ${show(x)} vs ${show(b[i])}`];
        return sameScalar(field.scalar, x, b[i]) ? [] : [`${where}: ${show(x)} vs ${show(b[i])}`];
      });
    }
    case 'map': {
      const a = ours as Obj;
      const b = (theirs ?? {}) as Obj;
      const ka = Object.keys(a).sort();
      const kb = Object.keys(b).sort();
      if (ka.join('\u0000') !== kb.join('\u0000')) return [`${at}: map keys ${show(ka)} vs ${show(kb)}`];
      return ka.flatMap((k) => {
        const where = `${at}[${k}]`;
        if (field.mapKind === 'message') return compareWithOfficial(field.message, a[k], b[k], skip, where);
        if (field.mapKind === 'enum') return a[k] === b[k] ? [] : [`${where}: ${show(a[k])} vs ${show(b[k])}`];
        return sameScalar(field.scalar, a[k], b[k]) ? [] : [`${where}: ${show(a[k])} vs ${show(b[k])}`];
      });
    }
  }
}

function sameScalar(type: ScalarType, a: unknown, b: unknown): boolean {
  switch (type) {
    case ScalarType.BYTES:
      return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      // ours: bigint; theirs: a `long` Long (or a number for jstype=number fields)
      return b !== undefined && b !== null && String(a) === String(b);
    default:
      return a === b;
  }
}

function isDefault(v: unknown): boolean {
  if (v === '' || v === 0 || v === false) return true;
  if (v instanceof Uint8Array) return v.length === 0;
  if (typeof v === 'object' && v !== null && 'isZero' in v && typeof v.isZero === 'function') return v.isZero() as boolean;
  return false;
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return `bytes(${Buffer.from(v).toString('hex')})`;
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
