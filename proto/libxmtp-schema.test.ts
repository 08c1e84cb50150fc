/**
 * Proves our proto/ definitions match what libxmtp 1.10 (the client we must interoperate with) was
 * compiled with: every message, enum and service we define is compared, field by field, with the
 * schema embedded in the real libxmtp binary (proto/fixtures/libxmtp-1.10.0-descriptors.binpb, taken
 * from @xmtp/node-bindings 1.10.0 by scripts/extract-libxmtp-descriptors.mjs). This covers the
 * messages @xmtp/proto lacks (group permissions, delete/edit/leave content types, migration API).
 * What libxmtp 1.10 does not have yet (the bidi Subscribe API, GroupMembershipEntry) must instead be
 * checked against @xmtp/proto (official-compat.test.ts), so every definition has a real oracle.
 */
import type { DescEnum, DescMessage, DescService } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { loadCoverage, loadOfficialExport, loadOurMessages, officialEntry } from './tests/load.js';
import {
  describeEnum,
  describeMessage,
  describeService,
  LIBXMTP_VERSION,
  loadLibxmtpSchema,
} from './tests/libxmtp-schema.js';

const libxmtp = loadLibxmtpSchema();
const coverage = loadCoverage();
const messages = [...(await loadOurMessages()).values()];
const enums = new Map<string, DescEnum>();
const services = new Map<string, DescService>();
for (const m of messages) {
  for (const e of [...m.file.enums, ...m.nestedEnums]) enums.set(e.typeName, e);
  for (const s of m.file.services) services.set(s.typeName, s);
}

describe(`schema of libxmtp ${LIBXMTP_VERSION}`, () => {
  test('default: the extracted schema holds the core files', () => {
    for (const name of ['xmtp.mls.api.v1.GroupMessage', 'xmtp.mls.message_contents.PolicySet', 'xmtp.identity.associations.IdentityUpdate']) {
      expect(libxmtp.messages.has(name), name).toBe(true);
    }
  });

  test.each(messages.map((m) => [m.typeName, m] as const))('message %s', (name, desc: DescMessage) => {
    const theirs = libxmtp.messages.get(name);
    if (theirs) {
      expect(describeMessage(desc.proto)).toEqual(describeMessage(theirs));
    } else {
      expect(officialEntry(coverage, name), `${name}: not in libxmtp ${LIBXMTP_VERSION} nor compared with @xmtp/proto`).toBeDefined();
    }
  });

  test.each([...enums.keys()].map((n) => [n]))('enum %s', (name) => {
    const ours = describeEnum(enums.get(name)!.proto);
    const theirs = libxmtp.enums.get(name);
    if (theirs) {
      expect(ours).toEqual(describeEnum(theirs));
      return;
    }
    // Newer than libxmtp 1.10: compare with the TypeScript enum object @xmtp/proto exports.
    const desc = enums.get(name)!;
    const sibling = desc.file.messages.map((m) => officialEntry(coverage, m.typeName)).find(Boolean);
    expect(sibling, `${name}: not in libxmtp ${LIBXMTP_VERSION} nor in @xmtp/proto`).toBeDefined();
    const exported = loadOfficialExport(sibling!.module, name.slice(desc.file.proto.package.length + 1).replace(/\./g, '_'));
    const official = Object.entries(exported as Record<string, unknown>)
      .filter(([k, v]) => typeof v === 'number' && k !== 'UNRECOGNIZED')
      .map(([k, v]) => `${v} ${k}`)
      .sort();
    expect(ours).toEqual(official);
  });

  test.each([...services.keys()].map((n) => [n]))('service %s', (name) => {
    const theirs = libxmtp.services.get(name);
    expect(theirs, `${name} is not in libxmtp ${LIBXMTP_VERSION}`).toBeDefined();
    const service = services.get(name)!;
    const inLibxmtp = (t: string) => libxmtp.messages.has(t) || t.startsWith('google.protobuf.');
    const known = service.methods.filter((m) => inLibxmtp(m.input.typeName));
    expect(describeService({ ...service.proto, method: known.map((m) => m.proto) } as never)).toEqual(describeService(theirs!));
    // Methods newer than 1.10 must use request/response types checked against @xmtp/proto.
    for (const m of service.methods.filter((x) => !known.includes(x))) {
      expect(officialEntry(coverage, m.input.typeName), m.name).toBeDefined();
      expect(officialEntry(coverage, m.output.typeName), m.name).toBeDefined();
    }
  });
});
