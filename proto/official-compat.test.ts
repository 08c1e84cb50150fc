/**
 * Proves our proto/ definitions match the network's: for every message that the official
 * `@xmtp/proto` package also has, (1) the field tables agree (names, numbers, wire types, scalar
 * types, nested message names), (2) a fully populated value encoded by us decodes with the official
 * codec to the same value field by field, and (3) the official codec's encoding of that value decodes
 * with ours to the same value, and is byte for byte our encoding up to field order. Messages @xmtp/proto lacks
 * are checked against libxmtp-produced bytes in libxmtp-fixtures.test.ts.
 */
import { equals, fromBinary, ScalarType, toBinary, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { beforeAll, describe, expect, test } from 'vitest';
import { canonicalBytes } from './tests/canonical.js';
import { compareWithOfficial } from './tests/compare.js';
import { loadCoverage, loadOfficialCodec, loadOurMessages, officialEntry, type CoverageEntry } from './tests/load.js';
import { officialFields, type OfficialField } from './tests/official-fields.js';
import { populate, variantCount } from './tests/populate.js';

const messages = await loadOurMessages();
const coverage = loadCoverage();
const official = [...messages.values()].filter((m) => officialEntry(coverage, m.typeName));
/** Deliberately not compared (coverage.json says why); nested occurrences are compared by presence only. */
const skip = new Set(Object.keys(coverage).filter((name) => typeof coverage[name] === 'string'));

describe('proto coverage', () => {
  test('default: every message we define is listed in proto/coverage.json', () => {
    const unlisted = [...messages.keys()].filter((name) => !(name in coverage));
    expect(unlisted).toEqual([]);
  });

  test('behavior: coverage.json names no message we do not define', () => {
    expect(Object.keys(coverage).filter((name) => !messages.has(name))).toEqual([]);
  });

  test('behavior: fields are declared in field-number order (so we encode in tag order, as prost does)', () => {
    const unordered = [...messages.values()]
      .filter((m) => m.fields.some((f, i) => i > 0 && f.number < m.fields[i - 1]!.number))
      .map((m) => m.typeName);
    expect(unordered).toEqual([]);
  });

  test('behavior: the core wire modules are checked against @xmtp/proto', () => {
    for (const name of [
      'xmtp.mls.api.v1.GroupMessage.V1',
      'xmtp.mls.api.v1.WelcomeMessageInput.V1',
      'xmtp.identity.api.v1.GetIdentityUpdatesResponse',
      'xmtp.identity.associations.IdentityUpdate',
      'xmtp.identity.associations.Signature',
      'xmtp.identity.MlsCredential',
      'xmtp.mls.message_contents.GroupMetadataV1',
      'xmtp.mls.message_contents.EncodedContent',
    ]) {
      expect(officialEntry(coverage, name), name).toBeDefined();
    }
  });
});

describe.each(official.map((m) => [m.typeName, m] as const))('%s', (_name, desc) => {
  let codec: ReturnType<typeof loadOfficialCodec>;
  beforeAll(() => {
    codec = loadOfficialCodec(coverage[desc.typeName] as CoverageEntry);
  });

  test('field table matches @xmtp/proto', () => {
    const theirs = officialFields(codec.encode as never);
    expect(fieldTable(desc)).toEqual(Object.fromEntries([...theirs].map(([k, v]) => [k, describeOfficial(v)])));
  });

  test('ours → official → ours, field by field and byte for byte', () => {
    for (let variant = 0; variant < variantCount(desc); variant++) {
      const value = populate(desc, variant);
      const bytes = toBinary(desc, value);
      const decoded = codec.decode(bytes);
      expect(compareWithOfficial(desc, value, decoded, skip), `variant ${variant}`).toEqual([]);

      const back = codec.encode(decoded).finish();
      const ours = fromBinary(desc, back);
      expect(compareWithOfficial(desc, ours, decoded, skip), `variant ${variant} reverse`).toEqual([]);
      expect(equals(desc, ours, value), `variant ${variant} equals`).toBe(true);
      // Same bytes once field order is normalised: ts-proto writes in declaration order, we (like
      // libxmtp's prost) write in tag order; upstream declares EncodedContent's fields out of order.
      const hex = (b: Uint8Array) => Buffer.from(canonicalBytes(desc, b)).toString('hex');
      expect(hex(back), `variant ${variant} bytes`).toBe(hex(bytes));
    }
  });
});

/** Our field table in the shape officialFields() reads from ts-proto. */
function fieldTable(desc: DescMessage): Record<string, string> {
  return Object.fromEntries(desc.fields.map((f) => [f.localName, describeOurs(f)]));
}

function describeOurs(f: DescField): string {
  switch (f.fieldKind) {
    case 'scalar':
      return `${f.number} scalar ${scalarName(f.scalar)}`;
    case 'enum':
      return `${f.number} scalar int32`;
    case 'message':
      return `${f.number} message ${exportName(f.message)}`;
    case 'map':
      return `${f.number} map`;
    case 'list':
      if (f.listKind === 'message') return `${f.number} repeated message ${exportName(f.message)}`;
      if (f.packed) return `${f.number} packed ${f.listKind === 'enum' ? 'int32' : scalarName(f.scalar)}`;
      return `${f.number} repeated scalar ${f.listKind === 'enum' ? 'int32' : scalarName(f.scalar)}`;
  }
}

function describeOfficial(f: OfficialField): string {
  if (f.kind === 'map') return `${f.number} map`;
  if (f.kind === 'packed') return `${f.number} packed ${f.type}`;
  return `${f.number} ${f.repeated ? 'repeated ' : ''}${f.kind} ${f.type}`;
}

function scalarName(s: ScalarType): string {
  return ScalarType[s].toLowerCase();
}

/** ts-proto's export name for a message: its path below the package, joined with '_'. */
function exportName(m: DescMessage): string {
  const pkg = m.file.proto.package;
  return (pkg ? m.typeName.slice(pkg.length + 1) : m.typeName).replace(/\./g, '_');
}
