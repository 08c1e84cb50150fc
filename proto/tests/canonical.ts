/**
 * Rewrites encoded protobuf bytes with every message's fields in field-number order (stable, so
 * repeated fields keep their order), recursively, guided by our descriptor. Two encoders that differ
 * only in field order (declaration order vs tag order) give identical canonical bytes; any other
 * difference (packing, varint width, defaults written or not, lengths) remains visible.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export function canonicalBytes(desc: DescMessage, bytes: Uint8Array): Uint8Array {
  const reader = new BinaryReader(bytes);
  const fields: { no: number; raw: Uint8Array }[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [no, wireType] = reader.tag();
    const field = desc.fields.find((f) => f.number === no);
    const sub =
      wireType === WireType.LengthDelimited && field && (field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message'))
        ? field.message
        : undefined;
    if (sub) {
      const inner = canonicalBytes(sub, reader.bytes());
      fields.push({ no, raw: new BinaryWriter().tag(no, WireType.LengthDelimited).bytes(inner).finish() });
    } else {
      reader.skip(wireType, no);
      fields.push({ no, raw: bytes.subarray(start, reader.pos) });
    }
  }
  const sorted = fields.map((f, i) => ({ ...f, i })).sort((a, b) => a.no - b.no || a.i - b.i);
  const out = new Uint8Array(sorted.reduce((n, f) => n + f.raw.length, 0));
  let at = 0;
  for (const f of sorted) {
    out.set(f.raw, at);
    at += f.raw.length;
  }
  return out;
}
