/**
 * The XMTP group-context extensions of a conversation, byte-compatible with libxmtp 1.10
 * (xmtp-wire.md §5.1–5.2, interop-findings T14–T15): their builders for a new DM and readers for
 * received groups. Pure; runs everywhere.
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

/** Replaces 0xFF01 in a group's extension list, keeping every other extension and the order. */
export function withGroupMembership(
  extensions: readonly GroupContextExtension[],
  members: ReadonlyMap<string, bigint>,
  failedInstallations: readonly Uint8Array[] = [],
): GroupContextExtension[] {
  const replacement = groupMembershipExtension(members, failedInstallations);
  let found = false;
  const out = extensions.map((e) => {
    if (e.extensionType !== XmtpExtensionTypes.groupMembership) return e;
    found = true;
    return replacement as GroupContextExtension;
  });
  if (!found) out.push(replacement as GroupContextExtension);
  return out;
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
