// The DM and group group-context extensions against what libxmtp 1.10 itself wrote (proto/fixtures/libxmtp-1.10.json, groups[label=dm]).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { GroupMembershipSchema } from '../../gen/mls/message_contents/group_membership_pb.js';
import { ConversationType } from '../../gen/mls/message_contents/group_metadata_pb.js';
import { GroupMutableMetadataV1Schema } from '../../gen/mls/message_contents/group_mutable_metadata_pb.js';
import { XmtpExtensionTypes } from '../mls/xmtp-extensions.js';
import { makeCustomExtension } from 'ts-mls';
import { GroupMutablePermissionsV1Schema } from '../../gen/mls/message_contents/group_permissions_pb.js';
import {
  dmGroupExtensions,
  encodeDefaultGroupPermissions,
  encodeDmMutableMetadata,
  encodeDmPermissions,
  encodeMutableMetadata,
  groupGroupExtensions,
  readGroupMembership,
  readGroupMetadata,
  readMutableMetadataValue,
  withGroupMembership,
  withMutableMetadata,
} from './group-extensions.js';

const fixture = JSON.parse(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../proto/fixtures/libxmtp-1.10.json'), 'utf8')) as {
  groups: { label: string; extensions: { type: string; protobuf: string; extensionDataDerived: string }[] }[];
};
const dm = fixture.groups.find((g) => g.label === 'dm')!;
const ext = (type: string) => dm.extensions.find((e) => e.type === type)!;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const A = '1f25de476c59279fff6ebf48255a09d1c6b59db2ac659ebf1342031f8a772c8c';
const B = 'c647793b0fae555bbed36fa81a091b4aa5de9579b739bbecaf16c7bf901c23c8';

describe('DM extensions', () => {
  test('default: 0xFF02 is byte for byte the DM policy set libxmtp wrote', () => {
    expect(hex(encodeDmPermissions())).toBe(ext('0xff02').protobuf);
  });

  test('default: 0xF000 is byte for byte libxmtp\'s (creator, dm members, inner length prefix)', () => {
    const [immutable] = dmGroupExtensions({ creatorInboxId: A, peerInboxId: B });
    expect(hex(immutable!.extensionData as Uint8Array)).toBe(ext('0xf000').extensionDataDerived);
    expect(readGroupMetadata(dmGroupExtensions({ creatorInboxId: A, peerInboxId: B })).conversationType).toBe(ConversationType.DM);
  });

  test('default: 0xFF00 has libxmtp\'s attributes (minus its commit-log signer) and both admin lists, empty', () => {
    const ours = fromBinary(GroupMutableMetadataV1Schema, encodeDmMutableMetadata());
    const theirs = fromBinary(GroupMutableMetadataV1Schema, Buffer.from(ext('0xff00').protobuf, 'hex'));
    const { _commit_log_signer: _, ...theirAttributes } = theirs.attributes;
    expect(ours.attributes).toEqual(theirAttributes);
    expect(ours.adminList?.inboxIds).toEqual([]);
    expect(ours.superAdminList?.inboxIds).toEqual([]);
    expect(hex(encodeDmMutableMetadata()).endsWith('12001a00')).toBe(true); // both lists present, as libxmtp writes them
  });

  test('behavior: the membership update keeps every other extension and the order; 0xFF01 encodes like libxmtp', () => {
    const initial = dmGroupExtensions({ creatorInboxId: A, peerInboxId: B });
    const updated = withGroupMembership(initial, new Map([[A, 1n], [B, 2n]]));
    expect(updated.map((e) => e.extensionType)).toEqual([0xf000, 0xff00, 0xff02, 0x0003, XmtpExtensionTypes.groupMembership]);
    expect(readGroupMembership(initial).members).toEqual({ [A]: 0n });
    expect(hex(updated[4]!.extensionData as Uint8Array)).toBe(ext('0xff01').protobuf);
    expect(fromBinary(GroupMembershipSchema, Buffer.from(ext('0xff01').protobuf, 'hex')).members).toEqual({ [A]: 1n, [B]: 2n });
  });
});

describe('group extensions', () => {
  const group = fixture.groups.find((g) => g.label === 'group-default')!;
  const gext = (type: string) => group.extensions.find((e) => e.type === type)!;

  test('default: 0xFF02 is libxmtp\'s default ("All members") policy set, decoded equal', () => {
    const ours = fromBinary(GroupMutablePermissionsV1Schema, encodeDefaultGroupPermissions());
    const theirs = fromBinary(GroupMutablePermissionsV1Schema, Buffer.from(gext('0xff02').protobuf, 'hex'));
    expect(ours).toEqual(theirs);
    expect(Object.keys(ours.policies!.updateMetadataPolicy).sort()).toHaveLength(7);
  });

  test('default: 0xF000 of a group is byte for byte libxmtp\'s; 0xFF00 makes the creator the only super admin', () => {
    const extensions = groupGroupExtensions({ creatorInboxId: A, name: 'n' });
    expect(hex(extensions[0]!.extensionData as Uint8Array)).toBe(gext('0xf000').extensionDataDerived);
    expect(extensions.map((e) => e.extensionType)).toEqual([0xf000, 0xff00, 0xff02, 0x0003, 0xff01]);
    expect(readMutableMetadataValue(extensions)).toEqual({
      attributes: { group_name: 'n', description: '', group_image_url_square: '', app_data: '' },
      adminInboxIds: [],
      superAdminInboxIds: [A],
    });
    expect(readGroupMetadata(extensions)).toMatchObject({ conversationType: ConversationType.GROUP, creatorInboxId: A });
  });

  test('behavior: a rename keeps the other attributes (libxmtp\'s commit-log signer too) and the admin lists', () => {
    const theirs = [makeCustomExtension({ extensionType: 0xff00, extensionData: Buffer.from(gext('0xff00').protobuf, 'hex') })];
    const before = readMutableMetadataValue(theirs as never);
    const after = readMutableMetadataValue(withMutableMetadata(theirs as never, { ...before, attributes: { ...before.attributes, group_name: 'x' } }));
    expect(after).toEqual({ ...before, attributes: { ...before.attributes, group_name: 'x' } });
    expect(() => encodeMutableMetadata({ ...before, attributes: { group_name: 'a'.repeat(101) } })).toThrow();
  });
});
