/**
 * Loads the schema a real libxmtp build was compiled with (extracted from its native binary by
 * scripts/extract-libxmtp-descriptors.mjs, committed under proto/fixtures/) and describes messages,
 * enums and services of both schemas in one comparable text form.
 */
import { fromBinary, isFieldSet } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FileDescriptorProto,
  type ServiceDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './load.js';

export const LIBXMTP_VERSION = '1.10.0';

export interface LibxmtpSchema {
  readonly messages: Map<string, DescriptorProto>;
  readonly enums: Map<string, EnumDescriptorProto>;
  readonly services: Map<string, ServiceDescriptorProto>;
}

export function loadLibxmtpSchema(): LibxmtpSchema {
  const bytes = readFileSync(path.join(ROOT, `proto/fixtures/libxmtp-${LIBXMTP_VERSION}-descriptors.binpb`));
  const set = fromBinary(FileDescriptorSetSchema, bytes);
  const schema: LibxmtpSchema = { messages: new Map(), enums: new Map(), services: new Map() };
  for (const file of set.file) index(file, schema);
  return schema;
}

function index(file: FileDescriptorProto, schema: LibxmtpSchema): void {
  const pkg = file.package;
  const walk = (prefix: string, messages: DescriptorProto[], enums: EnumDescriptorProto[]) => {
    for (const e of enums) schema.enums.set(`${prefix}.${e.name}`, e);
    for (const m of messages) {
      const name = `${prefix}.${m.name}`;
      schema.messages.set(name, m);
      walk(name, m.nestedType, m.enumType);
    }
  };
  walk(pkg, file.messageType, file.enumType);
  for (const s of file.service) schema.services.set(`${pkg}.${s.name}`, s);
}

/** One line per field: number, name, label, type (with type name), oneof, proto3 optional. */
export function describeMessage(m: DescriptorProto): string[] {
  return [...m.field]
    .sort((a, b) => a.number - b.number)
    .filter((f) => !isMapEntryField(m, f.typeName))
    .map((f) => {
      const type = FieldDescriptorProto_Type[f.type].toLowerCase() + (f.typeName ? ` ${f.typeName}` : '');
      // proto2 optional fields of descriptor.proto read as 0 when unset: check presence.
      const inOneof = isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex) && !f.proto3Optional;
      const oneof = inOneof ? ` oneof ${m.oneofDecl[f.oneofIndex]?.name}` : '';
      const optional = f.proto3Optional ? ' optional' : '';
      return `${f.number} ${f.name} ${FieldDescriptorProto_Label[f.label].toLowerCase()} ${type}${oneof}${optional}`;
    })
    .concat(mapFields(m));
}

/** Map fields as `N name map<key, value>`, so map entry types compare by content, not name. */
function mapFields(m: DescriptorProto): string[] {
  return m.field
    .filter((f) => isMapEntryField(m, f.typeName))
    .map((f) => {
      const entry = m.nestedType.find((n) => f.typeName.endsWith(`.${n.name}`))!;
      const [k, v] = [entry.field[0]!, entry.field[1]!];
      const t = (x: typeof k) => FieldDescriptorProto_Type[x.type].toLowerCase() + (x.typeName ? ` ${x.typeName}` : '');
      return `${f.number} ${f.name} map<${t(k)}, ${t(v)}>`;
    });
}

function isMapEntryField(m: DescriptorProto, typeName: string): boolean {
  return m.nestedType.some((n) => n.options?.mapEntry === true && typeName.endsWith(`.${n.name}`));
}

export function describeEnum(e: EnumDescriptorProto): string[] {
  return e.value.map((v) => `${v.number} ${v.name}`).sort();
}

export function describeService(s: ServiceDescriptorProto): string[] {
  return s.method.map(
    (m) => `${m.name}(${m.clientStreaming ? 'stream ' : ''}${m.inputType}) → ${m.serverStreaming ? 'stream ' : ''}${m.outputType}`,
  );
}
