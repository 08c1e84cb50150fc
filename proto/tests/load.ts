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

/**
 * proto/coverage.json: for every message we define, the @xmtp/proto codec to compare it with, or
 * `null` when that package lacks it, or a string saying why it is deliberately not compared.
 */
export type Coverage = Record<string, CoverageEntry | string | null>;

export function loadCoverage(): Coverage {
  return JSON.parse(readFileSync(path.join(ROOT, 'proto/coverage.json'), 'utf8')) as Coverage;
}

export function officialEntry(coverage: Coverage, name: string): CoverageEntry | undefined {
  const entry = coverage[name];
  return typeof entry === 'object' && entry !== null ? entry : undefined;
}

/** Loads any export (codec or enum object) of an @xmtp/proto CJS module. */
export function loadOfficialExport(module: string, name: string): unknown {
  return (require(path.join(XMTP_PROTO_CJS, module)) as Record<string, unknown>)[name];
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
