/**
 * The XMTP group-context extensions of a conversation, byte-compatible with libxmtp 1.10
 * (xmtp-wire.md §5.1–5.2, interop-findings T14–T15): their builders for a new DM and readers for
 * received groups, and the replacements a GroupContextExtensions commit makes (membership, mutable
 * metadata). Pure; runs everywhere.
 *
 * Layout at creation, in libxmtp's order: 0xF000 GroupMetadataV1 (with its inner length prefix),
 * 0xFF00 GroupMutableMetadataV1, 0xFF02 GroupMutablePermissionsV1, 0x0003 RequiredCapabilities,
 * 0xFF01 GroupMembership (the private ones are raw protobuf).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { makeCustomExtension, type CustomExtension, type GroupContextExtension } from 'ts-mls';
import { GroupMembershipSchema, type GroupMembership } from '../../gen/mls/message_contents/group_membership_pb.js';
import { ConversationType, type GroupMetadataV1 } from '../../gen/mls/message_contents/group_metadata_pb.js';
import { GroupMutableMetadataV1Schema, type GroupMutableMetadataV1 } from '../../gen/mls/message_contents/group_mutable_metadata_pb.js';
import {
  GroupMutablePermissionsV1Schema,
  MembershipPolicy_BasePolicy,
  MetadataPolicy_MetadataBasePolicy,
  PermissionsUpdatePolicy_PermissionsBasePolicy,
} from '../../gen/mls/message_contents/group_permissions_pb.js';
import { XmtpError } from '../errors.js';
import { decodeImmutableMetadata, immutableMetadataExtension, xmtpGroupRequiredCapabilities, XmtpExtensionTypes } from '../mls/xmtp-extensions.js';

export const GroupExtensionErrorCodes = {
  missing: 'conversations.extension_missing',
  invalid: 'conversations.extension_invalid',
} as const;

/** Metadata fields libxmtp's DM policy lists, in the (hash) order libxmtp 1.10 wrote them. */
const DM_METADATA_FIELDS = [
  'message_disappear_from_ns',
  'group_image_url_square',
  'group_name',
  'minimum_supported_protocol_version',
  'description',
  'app_data',
  'message_disappear_in_ns',
] as const;

/** 0xFF02 of a DM (`PolicySet::new_dm`): add/remove DENY, every metadata field ALLOW, permission changes DENY. */
export function encodeDmPermissions(): Uint8Array {
  const allow = { kind: { case: 'base' as const, value: MetadataPolicy_MetadataBasePolicy.ALLOW } };
  const deny = { kind: { case: 'base' as const, value: PermissionsUpdatePolicy_PermissionsBasePolicy.DENY } };
  return toBinary(
    GroupMutablePermissionsV1Schema,
    create(GroupMutablePermissionsV1Schema, {
      policies: {
        addMemberPolicy: { kind: { case: 'base', value: MembershipPolicy_BasePolicy.DENY } },
        removeMemberPolicy: { kind: { case: 'base', value: MembershipPolicy_BasePolicy.DENY } },
        updateMetadataPolicy: Object.fromEntries(DM_METADATA_FIELDS.map((f) => [f, allow])),
        addAdminPolicy: deny,
        removeAdminPolicy: deny,
        updatePermissionsPolicy: deny,
      },
    }),
  );
}

/** Metadata fields of libxmtp's default ("All members") policy set and their base policies (`PolicySet::default`). */
const DEFAULT_METADATA_POLICIES: readonly (readonly [string, MetadataPolicy_MetadataBasePolicy])[] = [
  ['message_disappear_from_ns', MetadataPolicy_MetadataBasePolicy.ALLOW_IF_ADMIN],
  ['minimum_supported_protocol_version', MetadataPolicy_MetadataBasePolicy.ALLOW_IF_SUPER_ADMIN],
  ['group_image_url_square', MetadataPolicy_MetadataBasePolicy.ALLOW],
  ['app_data', MetadataPolicy_MetadataBasePolicy.ALLOW],
  ['group_name', MetadataPolicy_MetadataBasePolicy.ALLOW],
  ['message_disappear_in_ns', MetadataPolicy_MetadataBasePolicy.ALLOW_IF_ADMIN],
  ['description', MetadataPolicy_MetadataBasePolicy.ALLOW],
];

/**
 * 0xFF02 of a group with libxmtp's default ("All members") policies: add ALLOW, remove
 * ALLOW_IF_ADMIN_OR_SUPER_ADMIN, name/description/image/app_data ALLOW, the disappearing-message
 * fields ALLOW_IF_ADMIN, the minimum version and every permission change ALLOW_IF_SUPER_ADMIN.
 */
export function encodeDefaultGroupPermissions(): Uint8Array {
  const superAdmin = { kind: { case: 'base' as const, value: PermissionsUpdatePolicy_PermissionsBasePolicy.ALLOW_IF_SUPER_ADMIN } };
  return toBinary(
    GroupMutablePermissionsV1Schema,
    create(GroupMutablePermissionsV1Schema, {
      policies: {
        addMemberPolicy: { kind: { case: 'base', value: MembershipPolicy_BasePolicy.ALLOW } },
        removeMemberPolicy: { kind: { case: 'base', value: MembershipPolicy_BasePolicy.ALLOW_IF_ADMIN_OR_SUPER_ADMIN } },
        updateMetadataPolicy: Object.fromEntries(DEFAULT_METADATA_POLICIES.map(([f, p]) => [f, { kind: { case: 'base' as const, value: p } }])),
        addAdminPolicy: superAdmin,
        removeAdminPolicy: superAdmin,
        updatePermissionsPolicy: superAdmin,
      },
    }),
  );
}

/**
 * libxmtp's metadata limits, enforced on what we write and on incoming commits. libxmtp 1.10 compares
 * Rust `String::len()`, i.e. UTF-8 BYTES (xmtp-wire.md says characters; 1.10 wins).
 */
export const GroupMetadataLimits = { group_name: 100, description: 1000, group_image_url_square: 2048, app_data: 8192 } as const;

/** The limit `value` exceeds for `field` (UTF-8 bytes, as libxmtp 1.10), or undefined when it fits or the field has none. */
export function metadataLimitExceeded(field: string, value: string): number | undefined {
  const limit = (GroupMetadataLimits as Readonly<Record<string, number>>)[field];
  return limit !== undefined && new TextEncoder().encode(value).length > limit ? limit : undefined;
}

export interface MutableMetadataValue {
  readonly attributes: Readonly<Record<string, string>>;
  readonly adminInboxIds: readonly string[];
  readonly superAdminInboxIds: readonly string[];
}

/** 0xFF00 from its parts; both admin lists are always written (possibly empty). */
export function encodeMutableMetadata(value: MutableMetadataValue): Uint8Array {
  for (const [field, v] of Object.entries(value.attributes)) {
    const limit = metadataLimitExceeded(field, v);
    if (limit !== undefined) throw new XmtpError(GroupExtensionErrorCodes.invalid, `${field} is longer than ${limit} bytes`);
  }
  return toBinary(
    GroupMutableMetadataV1Schema,
    create(GroupMutableMetadataV1Schema, {
      attributes: { ...value.attributes },
      adminList: { inboxIds: [...value.adminInboxIds] },
      superAdminList: { inboxIds: [...value.superAdminInboxIds] },
    }),
  );
}

/** 0xFF00 of a new group: name, description, image and app_data (`""` when not given), the creator as the only super admin. */
export function encodeNewGroupMutableMetadata(params: { readonly creatorInboxId: string; readonly name?: string; readonly description?: string }): Uint8Array {
  return encodeMutableMetadata({
    attributes: { group_name: params.name ?? '', description: params.description ?? '', group_image_url_square: '', app_data: '' },
    adminInboxIds: [],
    superAdminInboxIds: [params.creatorInboxId],
  });
}

/** 0xFF00 of a new DM: empty name, description and image; both admin lists present and empty. */
export function encodeDmMutableMetadata(): Uint8Array {
  return toBinary(
    GroupMutableMetadataV1Schema,
    create(GroupMutableMetadataV1Schema, {
      attributes: { group_image_url_square: '', group_name: '', description: '' },
      adminList: { inboxIds: [] },
      superAdminList: { inboxIds: [] },
    }),
  );
}

/** 0xFF01: inbox id → identity sequence id (the order given is the wire order). */
export function encodeGroupMembership(members: ReadonlyMap<string, bigint>, failedInstallations: readonly Uint8Array[] = []): Uint8Array {
  return toBinary(GroupMembershipSchema, create(GroupMembershipSchema, { members: Object.fromEntries(members), failedInstallations: [...failedInstallations] }));
}

export function groupMembershipExtension(members: ReadonlyMap<string, bigint>, failedInstallations: readonly Uint8Array[] = []): CustomExtension {
  return makeCustomExtension({ extensionType: XmtpExtensionTypes.groupMembership, extensionData: encodeGroupMembership(members, failedInstallations) });
}

/** The group-context extensions of a new DM (before its members are added: the creator at sequence id 0). */
export function dmGroupExtensions(params: { readonly creatorInboxId: string; readonly peerInboxId: string }): GroupContextExtension[] {
  return [
    immutableMetadataExtension({
      conversationType: ConversationType.DM,
      creatorInboxId: params.creatorInboxId,
      dmMembers: { dmMemberOne: { inboxId: params.creatorInboxId }, dmMemberTwo: { inboxId: params.peerInboxId } },
    }),
    makeCustomExtension({ extensionType: XmtpExtensionTypes.mutableMetadata, extensionData: encodeDmMutableMetadata() }),
    makeCustomExtension({ extensionType: XmtpExtensionTypes.groupPermissions, extensionData: encodeDmPermissions() }),
    { extensionType: XmtpExtensionTypes.requiredCapabilities, extensionData: xmtpGroupRequiredCapabilities() },
    groupMembershipExtension(new Map([[params.creatorInboxId, 0n]])),
  ] as GroupContextExtension[];
}

/** The group-context extensions of a new group (GROUP metadata, default policies; the creator at sequence id 0, the only super admin). */
export function groupGroupExtensions(params: { readonly creatorInboxId: string; readonly name?: string; readonly description?: string }): GroupContextExtension[] {
  return [
    immutableMetadataExtension({ conversationType: ConversationType.GROUP, creatorInboxId: params.creatorInboxId }),
    makeCustomExtension({ extensionType: XmtpExtensionTypes.mutableMetadata, extensionData: encodeNewGroupMutableMetadata(params) }),
    makeCustomExtension({ extensionType: XmtpExtensionTypes.groupPermissions, extensionData: encodeDefaultGroupPermissions() }),
    { extensionType: XmtpExtensionTypes.requiredCapabilities, extensionData: xmtpGroupRequiredCapabilities() },
    groupMembershipExtension(new Map([[params.creatorInboxId, 0n]])),
  ] as GroupContextExtension[];
}

/** Replaces (or appends) one extension, keeping every other extension and the order. */
export function withExtension(extensions: readonly GroupContextExtension[], replacement: CustomExtension): GroupContextExtension[] {
  let found = false;
  const out = extensions.map((e) => {
    if (e.extensionType !== replacement.extensionType) return e;
    found = true;
    return replacement as GroupContextExtension;
  });
  if (!found) out.push(replacement as GroupContextExtension);
  return out;
}

/** Replaces 0xFF00 with new mutable metadata. */
export function withMutableMetadata(extensions: readonly GroupContextExtension[], value: MutableMetadataValue): GroupContextExtension[] {
  return withExtension(extensions, makeCustomExtension({ extensionType: XmtpExtensionTypes.mutableMetadata, extensionData: encodeMutableMetadata(value) }));
}

/** The decoded 0xFF00 as plain values (empty when absent or undecodable). */
export function readMutableMetadataValue(extensions: readonly GroupContextExtension[]): MutableMetadataValue {
  const m = readMutableMetadata(extensions);
  return { attributes: { ...(m?.attributes ?? {}) }, adminInboxIds: [...(m?.adminList?.inboxIds ?? [])], superAdminInboxIds: [...(m?.superAdminList?.inboxIds ?? [])] };
}

/** Replaces 0xFF01 in a group's extension list, keeping every other extension and the order. */
export function withGroupMembership(
  extensions: readonly GroupContextExtension[],
  members: ReadonlyMap<string, bigint>,
  failedInstallations: readonly Uint8Array[] = [],
): GroupContextExtension[] {
  return withExtension(extensions, groupMembershipExtension(members, failedInstallations));
}

function extensionData(extensions: readonly GroupContextExtension[], type: number, what: string): Uint8Array {
  const ext = extensions.find((e) => e.extensionType === type);
  if (!ext || !(ext.extensionData instanceof Uint8Array)) throw new XmtpError(GroupExtensionErrorCodes.missing, `The group has no ${what} extension`);
  return ext.extensionData;
}

export function readGroupMetadata(extensions: readonly GroupContextExtension[]): GroupMetadataV1 {
  return decodeImmutableMetadata(extensionData(extensions, XmtpExtensionTypes.immutableMetadata, 'ImmutableMetadata (0xF000)'));
}

export function readGroupMembership(extensions: readonly GroupContextExtension[]): GroupMembership {
  try {
    return fromBinary(GroupMembershipSchema, extensionData(extensions, XmtpExtensionTypes.groupMembership, 'GroupMembership (0xFF01)'));
  } catch (cause) {
    if (cause instanceof XmtpError) throw cause;
    throw new XmtpError(GroupExtensionErrorCodes.invalid, 'GroupMembership (0xFF01) is not a protobuf', { cause });
  }
}

export function readMutableMetadata(extensions: readonly GroupContextExtension[]): GroupMutableMetadataV1 | undefined {
  const ext = extensions.find((e) => e.extensionType === XmtpExtensionTypes.mutableMetadata);
  if (!ext || !(ext.extensionData instanceof Uint8Array)) return undefined;
  try {
    return fromBinary(GroupMutableMetadataV1Schema, ext.extensionData);
  } catch {
    return undefined;
  }
}
