#!/usr/bin/env node
// Extracts the protobuf schema that a real libxmtp build was compiled with, from its native binary.
//
// libxmtp's xmtp_proto crate embeds its generated FileDescriptorProtos (for JSON/reflection); they
// sit in the binary as serialized bytes. This script finds every embedded file of an `xmtp.*`
// package, checks it parses and names itself, and writes them as one FileDescriptorSet:
//   proto/fixtures/libxmtp-<version>-descriptors.binpb
// The proto tests compare our proto/ definitions with it, message by message and field by field.
// A one-off generator (its output is committed); tests never run it.
//
//   node scripts/extract-libxmtp-descriptors.mjs [path/to/bindings_node.linux-x64-gnu.node]
// Default binary: the one scripts/libxmtp-runtime.sh installs under .libxmtp/.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PKG = path.join(ROOT, '.libxmtp/pkg/node_modules/@xmtp/node-bindings');
const binaryPath = process.argv[2] ?? path.join(PKG, 'dist/bindings_node.linux-x64-gnu.node');
const version = JSON.parse(readFileSync(path.join(path.dirname(binaryPath), '../package.json'), 'utf8')).version;
const bin = readFileSync(binaryPath);

function varint(buf, at) {
  let value = 0;
  let shift = 0;
  for (let i = at; i < Math.min(buf.length, at + 5); i++) {
    value += (buf[i] & 0x7f) * 2 ** shift;
    shift += 7;
    if ((buf[i] & 0x80) === 0) return [value, i + 1];
  }
  return [-1, at];
}

const files = new Map();
for (let i = 0; i < bin.length - 8; i++) {
  if (bin[i] !== 0x0a) continue; // FileDescriptorSet.file (field 1, length-delimited)
  const [len, start] = varint(bin, i + 1);
  if (len < 16 || start + len > bin.length || bin[start] !== 0x0a) continue; // FileDescriptorProto.name
  const [nameLen, nameAt] = varint(bin, start + 1);
  if (nameLen < 7 || nameLen > 200) continue;
  const name = bin.subarray(nameAt, nameAt + nameLen).toString('latin1');
  if (!/^[a-z0-9_/]+\.proto$/.test(name)) continue;
  let file;
  try {
    file = fromBinary(FileDescriptorProtoSchema, bin.subarray(start, start + len));
  } catch {
    continue;
  }
  if (file.name !== name || !file.package.startsWith('xmtp')) continue;
  const bytes = Buffer.from(bin.subarray(start, start + len));
  const seen = files.get(name);
  if (seen && !seen.bytes.equals(bytes)) throw new Error(`two different embedded copies of ${name}`);
  files.set(name, { file, bytes });
}

if (files.size === 0) throw new Error(`no embedded xmtp descriptors found in ${binaryPath}`);
const set = create(FileDescriptorSetSchema, { file: [...files.values()].map((f) => f.file) });
const out = path.join(ROOT, `proto/fixtures/libxmtp-${version}-descriptors.binpb`);
writeFileSync(out, toBinary(FileDescriptorSetSchema, set));
console.log(`${files.size} files from libxmtp ${version} → ${path.relative(ROOT, out)}`);
for (const name of [...files.keys()].sort()) console.log(`  ${name} (${files.get(name).file.package})`);
