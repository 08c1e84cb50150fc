/**
 * Reads the field table of an official ts-proto codec (from @xmtp/proto) out of its generated
 * `encode` function: each field's property name, field number, and how it is written. This is an
 * independent record of the network's field numbers to compare our descriptors with.
 */
export interface OfficialField {
  readonly number: number;
  readonly wireType: number;
  /** 'scalar' (with the writer method, e.g. uint64), 'message' (with the export name), 'map', 'packed'. */
  readonly kind: 'scalar' | 'message' | 'map' | 'packed';
  readonly type: string;
  readonly repeated: boolean;
}

export function officialFields(encode: (...args: never[]) => unknown): Map<string, OfficialField> {
  const src = encode.toString().replace(/\s+/g, ' ');
  const fields = new Map<string, OfficialField>();
  const add = (name: string, tag: string, kind: OfficialField['kind'], type: string, repeated: boolean) => {
    const t = Number(tag);
    if (fields.has(name)) throw new Error(`field ${name} written twice in ${src.slice(0, 80)}`);
    fields.set(name, { number: t >>> 3, wireType: t & 7, kind, type, repeated });
  };
  let m: RegExpExecArray | null;

  // singular message (incl. oneof members): X.encode(message.name, writer.uint32(tag).fork())
  const singularMessage = /(?:\w+\.)?(\w+)\.encode\(message\.(\w+), writer\.uint32\((\d+)\)\.fork\(\)\)/g;
  while ((m = singularMessage.exec(src))) add(m[2]!, m[3]!, 'message', m[1]!, false);

  // repeated message: for (const v of message.name) { X.encode(v, writer.uint32(tag).fork()).ldelim(); }
  const repeatedMessage = /for \(const v of message\.(\w+)\) \{ (?:\w+\.)?(\w+)\.encode\(v, writer\.uint32\((\d+)\)\.fork\(\)\)/g;
  while ((m = repeatedMessage.exec(src))) add(m[1]!, m[3]!, 'message', m[2]!, true);

  // map: Object.entries(message.name).forEach(([key, value]) => { X.encode({ key: key, value }, writer.uint32(tag).fork())
  const map = /Object\.entries\(message\.(\w+)\)\.forEach\(\(\[key, value\]\) => \{ (?:\w+\.)?(\w+)\.encode\(\{ key: key, value \}, writer\.uint32\((\d+)\)/g;
  while ((m = map.exec(src))) add(m[1]!, m[3]!, 'map', m[2]!, true);

  // singular scalar (incl. optional and oneof members): writer.uint32(tag).method(message.name)
  const singularScalar = /writer\.uint32\((\d+)\)\.(\w+)\(message\.(\w+)\)/g;
  while ((m = singularScalar.exec(src))) add(m[3]!, m[1]!, 'scalar', m[2]!, false);

  // repeated scalar, not packed: for (const v of message.name) { writer.uint32(tag).method(v); }
  const repeatedScalar = /for \(const v of message\.(\w+)\) \{ writer\.uint32\((\d+)\)\.(\w+)\(v\)/g;
  while ((m = repeatedScalar.exec(src))) add(m[1]!, m[2]!, 'scalar', m[3]!, true);

  // packed: writer.uint32(tag).fork(); for (const v of message.name) { writer.method(v); }
  const packed = /writer\.uint32\((\d+)\)\.fork\(\); for \(const v of message\.(\w+)\) \{ writer\.(\w+)\(v\)/g;
  while ((m = packed.exec(src))) add(m[2]!, m[1]!, 'packed', m[3]!, true);

  const mentioned = new Set([...src.matchAll(/message\.(\w+)/g)].map((x) => x[1]!));
  for (const name of mentioned) {
    if (!fields.has(name)) throw new Error(`could not read how field ${name} is encoded: ${src}`);
  }
  return fields;
}
