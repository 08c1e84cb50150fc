/**
 * Test helpers: load every message we generate from proto/ (src/gen) and the official ts-proto
 * codecs from the `@xmtp/proto` npm package (devDependency, tests only).
 */
import type { DescFile, DescMessage } from '@bufbuild/protobuf';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GEN = path.join(ROOT, 'src/gen');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : full.endsWith('_pb.ts') ? [full] : [];
  });
}

/** Every message (nested ones included, map entries excluded) of every generated file. */
export async function loadOurMessages(): Promise<Map<string, DescMessage>> {
  const out = new Map<string, DescMessage>();
  for (const file of walk(GEN).sort()) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (isDescFile(value)) for (const m of value.messages) collect(m, out);
    }
  }
  return out;
}

function collect(message: DescMessage, out: Map<string, DescMessage>): void {
  out.set(message.typeName, message);
  for (const nested of message.nestedMessages) collect(nested, out);
}

function isDescFile(value: unknown): value is DescFile {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'file';
}

/** A ts-proto message codec from @xmtp/proto. */
export interface TsProtoCodec {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): Record<string, unknown>;
  fromPartial(object: unknown): Record<string, unknown>;
}

export interface CoverageEntry {
  readonly module: string;
  readonly export: string;
}

export function loadCoverage(): Record<string, CoverageEntry | null> {
  return JSON.parse(readFileSync(path.join(ROOT, 'proto/coverage.json'), 'utf8')) as Record<string, CoverageEntry | null>;
}

const require = createRequire(import.meta.url);
const XMTP_PROTO_CJS = path.dirname(require.resolve('@xmtp/proto')); // …/ts/dist/cjs

/** Loads one official codec. Its package `exports` only expose the root, so load the CJS file by path. */
export function loadOfficialCodec(entry: CoverageEntry): TsProtoCodec {
  const mod = require(path.join(XMTP_PROTO_CJS, entry.module)) as Record<string, TsProtoCodec | undefined>;
  const codec = mod[entry.export];
  if (!codec || typeof codec.decode !== 'function') {
    throw new Error(`@xmtp/proto has no codec ${entry.export} in ${entry.module}`);
  }
  return codec;
}
