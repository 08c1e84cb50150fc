/**
 * Decodes bytes that a real libxmtp 1.10 client produced (proto/fixtures/libxmtp-1.10.json, captured
 * by scripts/capture-libxmtp-fixtures.mjs from @xmtp/node-sdk 6.0.0) with our generated code and
 * compares the result with what libxmtp's own SDK reported for the same groups and messages. This is
 * the check for what @xmtp/proto lacks (group permissions, leave request), and a second one for the
 * rest: group-context extensions, message contents, GroupUpdated, and the node requests.
 */
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { PublishIdentityUpdateRequestSchema } from '../src/gen/identity/api/v1/identity_pb.js';
import {
  SendGroupMessagesRequestSchema,
  SendWelcomeMessagesRequestSchema,
  UploadKeyPackageRequestSchema,
} from '../src/gen/mls/api/v1/mls_pb.js';
import { EncodedContentSchema, PlaintextEnvelopeSchema, type EncodedContent } from '../src/gen/mls/message_contents/content_pb.js';
import { LeaveRequestSchema } from '../src/gen/mls/message_contents/content_types/leave_request_pb.js';
import { MultiRemoteAttachmentSchema } from '../src/gen/mls/message_contents/content_types/multi_remote_attachment_pb.js';
import { ReactionV2Schema } from '../src/gen/mls/message_contents/content_types/reaction_pb.js';
import { GroupMembershipSchema } from '../src/gen/mls/message_contents/group_membership_pb.js';
import { ConversationType, GroupMetadataV1Schema } from '../src/gen/mls/message_contents/group_metadata_pb.js';
import { GroupMutableMetadataV1Schema } from '../src/gen/mls/message_contents/group_mutable_metadata_pb.js';
import {
  GroupMutablePermissionsV1Schema,
  MembershipPolicy_BasePolicy as Membership,
  MetadataPolicy_MetadataBasePolicy as Metadata,
  PermissionsUpdatePolicy_PermissionsBasePolicy as Permissions,
  type MembershipPolicy,
  type MetadataPolicy,
  type PermissionsUpdatePolicy,
} from '../src/gen/mls/message_contents/group_permissions_pb.js';
import { GroupUpdatedSchema } from '../src/gen/mls/message_contents/transcript_messages_pb.js';
import { WelcomeWrapperAlgorithm } from '../src/gen/mls/message_contents/wrapper_encryption_pb.js';
import { ROOT } from './tests/load.js';
import { unknownFields } from './tests/unknown-fields.js';

// ---- the fixture's shape (only what the tests read) -------------------------------------------
type PolicyName = 'Allow' | 'Deny' | 'Admin' | 'SuperAdmin';
interface SdkMember {
  inboxId: string;
}
interface FixtureGroup {
  label: string;
  conversationId: string;
  extensions: { type: string; protobuf: string }[];
  sdk: {
    conversationType: 'group' | 'dm';
    addedByInboxId: string;
    name?: string;
    description?: string;
    imageUrl?: string;
    appData?: string;
    admins?: string[];
    superAdmins?: string[];
    peerInboxId?: string;
    members: SdkMember[];
    permissions?: { policyType: string; policySet: Record<string, PolicyName> };
  };
}
interface FixtureMessage {
  label: string;
  contentType: string;
  conversationId: string;
  messageId: string;
  encodedContent: string;
  plaintextEnvelope?: string;
  idempotencyKey?: string;
  sdk: { content: unknown; contentType: string };
}
interface Fixture {
  libxmtpVersion: string;
  groups: FixtureGroup[];
  messages: FixtureMessage[];
  transcriptMessages: FixtureMessage[];
  requests: Record<string, { hex: string }>;
}

const fixture = JSON.parse(readFileSync(path.join(ROOT, 'proto/fixtures/libxmtp-1.10.json'), 'utf8')) as Fixture;
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const sorted = (xs: readonly string[] = []) => [...xs].sort();

/** Decodes with our code and insists that no field went unrecognised. */
function decode<D extends DescMessage>(schema: D, bytes: Uint8Array): MessageShape<D> {
  const message = fromBinary(schema, bytes);
  expect(unknownFields(schema, message)).toEqual([]);
  return message;
}

function extension(group: FixtureGroup, type: string): Uint8Array {
  const ext = group.extensions.find((e) => e.type === type);
  expect(ext, `${group.label} has extension ${type}`).toBeDefined();
  return hex(ext!.protobuf);
}

// ---- policy names as the SDK reports them ------------------------------------------------------
const membership = (p: MembershipPolicy | undefined) =>
  p?.kind.case === 'base'
    ? ({ [Membership.ALLOW]: 'Allow', [Membership.DENY]: 'Deny', [Membership.ALLOW_IF_ADMIN_OR_SUPER_ADMIN]: 'Admin', [Membership.ALLOW_IF_SUPER_ADMIN]: 'SuperAdmin' } as Record<number, string>)[p.kind.value]
    : `not a base policy: ${p?.kind.case}`;
const metadata = (p: MetadataPolicy | undefined) =>
  p?.kind.case === 'base'
    ? ({ [Metadata.ALLOW]: 'Allow', [Metadata.DENY]: 'Deny', [Metadata.ALLOW_IF_ADMIN]: 'Admin', [Metadata.ALLOW_IF_SUPER_ADMIN]: 'SuperAdmin' } as Record<number, string>)[p.kind.value]
    : `not a base policy: ${p?.kind.case}`;
const permissions = (p: PermissionsUpdatePolicy | undefined) =>
  p?.kind.case === 'base'
    ? ({ [Permissions.DENY]: 'Deny', [Permissions.ALLOW_IF_ADMIN]: 'Admin', [Permissions.ALLOW_IF_SUPER_ADMIN]: 'SuperAdmin' } as Record<number, string>)[p.kind.value]
    : `not a base policy: ${p?.kind.case}`;

describe(`group-context extensions written by libxmtp ${fixture.libxmtpVersion}`, () => {
  test('default: the fixture has groups with default, admin-only and custom policies and a DM', () => {
    const types = fixture.groups.map((g) => g.sdk.permissions?.policyType ?? g.sdk.conversationType);
    expect(types).toEqual(expect.arrayContaining(['Default', 'AdminOnly', 'CustomPolicy', 'dm']));
  });

  test.each(fixture.groups.map((g) => [g.label, g] as const))('%s: 0xFF02 permissions decode to the SDK policy set', (_l, group) => {
    const { policies } = decode(GroupMutablePermissionsV1Schema, extension(group, '0xff02'));
    expect(policies).toBeDefined();
    const p = policies!;
    const ours = {
      addMemberPolicy: membership(p.addMemberPolicy),
      removeMemberPolicy: membership(p.removeMemberPolicy),
      addAdminPolicy: permissions(p.addAdminPolicy),
      removeAdminPolicy: permissions(p.removeAdminPolicy),
      updateGroupNamePolicy: metadata(p.updateMetadataPolicy.group_name),
      updateGroupDescriptionPolicy: metadata(p.updateMetadataPolicy.description),
      updateGroupImageUrlSquarePolicy: metadata(p.updateMetadataPolicy.group_image_url_square),
      updateMessageDisappearingPolicy: metadata(p.updateMetadataPolicy.message_disappear_in_ns),
      updateAppDataPolicy: metadata(p.updateMetadataPolicy.app_data),
    };
    if (group.sdk.permissions) {
      expect(ours).toEqual(group.sdk.permissions.policySet);
    } else {
      // The SDK reports no policy set for a DM: libxmtp's DM policy denies membership and permission
      // changes and lets either member update any metadata.
      expect(ours).toMatchObject({ addMemberPolicy: 'Deny', removeMemberPolicy: 'Deny', addAdminPolicy: 'Deny', removeAdminPolicy: 'Deny' });
      expect(Object.values(p.updateMetadataPolicy).map((m) => metadata(m))).toEqual(Object.values(p.updateMetadataPolicy).map(() => 'Allow'));
      expect(permissions(p.updatePermissionsPolicy)).toBe('Deny');
    }
  });

  test.each(fixture.groups.map((g) => [g.label, g] as const))('%s: metadata, mutable metadata and membership match the SDK', (_l, group) => {
    const meta = decode(GroupMetadataV1Schema, extension(group, '0xf000'));
    const members = sorted(group.sdk.members.map((m) => m.inboxId));
    if (group.sdk.conversationType === 'dm') {
      expect(meta.conversationType).toBe(ConversationType.DM);
      expect(sorted([meta.dmMembers?.dmMemberOne?.inboxId ?? '', meta.dmMembers?.dmMemberTwo?.inboxId ?? ''])).toEqual(members);
    } else {
      expect(meta.conversationType).toBe(ConversationType.GROUP);
      expect(meta.dmMembers).toBeUndefined();
    }
    expect(members).toContain(meta.creatorInboxId);

    const mutable = decode(GroupMutableMetadataV1Schema, extension(group, '0xff00'));
    if (group.sdk.conversationType === 'group') {
      expect(mutable.attributes.group_name ?? '').toBe(group.sdk.name);
      expect(mutable.attributes.description ?? '').toBe(group.sdk.description);
      expect(mutable.attributes.group_image_url_square ?? '').toBe(group.sdk.imageUrl);
      expect(mutable.attributes.app_data ?? '').toBe(group.sdk.appData);
      expect(sorted(mutable.adminList?.inboxIds)).toEqual(sorted(group.sdk.admins));
      expect(sorted(mutable.superAdminList?.inboxIds)).toEqual(sorted(group.sdk.superAdmins));
    } else {
      expect(mutable.adminList?.inboxIds ?? []).toEqual([]);
      expect(mutable.superAdminList?.inboxIds ?? []).toEqual([]);
    }

    const membership = decode(GroupMembershipSchema, extension(group, '0xff01'));
    expect(sorted(Object.keys(membership.members))).toEqual(members);
    for (const seq of Object.values(membership.members)) expect(typeof seq).toBe('bigint');
  });
});

describe(`message contents sent by libxmtp ${fixture.libxmtpVersion}`, () => {
  const typeOf = (c: EncodedContent) => `${c.type?.authorityId}/${c.type?.typeId}:${c.type?.versionMajor}.${c.type?.versionMinor}`;

  test.each(fixture.messages.map((m) => [m.label, m] as const))('%s', (_l, msg) => {
    const content = decode(EncodedContentSchema, hex(msg.encodedContent));
    expect(typeOf(content)).toBe(msg.contentType);
    const sdk = msg.sdk.content as Record<string, unknown>;
    const text = () => new TextDecoder().decode(content.content);

    switch (msg.contentType) {
      case 'xmtp.org/text:1.0':
      case 'xmtp.org/markdown:1.0':
        expect(content.parameters.encoding ?? 'UTF-8').toBe('UTF-8');
        expect(text()).toBe(msg.sdk.content);
        break;
      case 'xmtp.org/reaction:2.0': {
        const r = decode(ReactionV2Schema, content.content);
        expect({ reference: r.reference, referenceInboxId: r.referenceInboxId, action: r.action, content: r.content, schema: r.schema }).toEqual(sdk);
        break;
      }
      case 'xmtp.org/reply:1.0': {
        expect(content.parameters.reference).toBe(sdk.referenceId);
        const inner = decode(EncodedContentSchema, content.content);
        expect(typeOf(inner)).toBe(sdk.contentType);
        expect(new TextDecoder().decode(inner.content)).toBe(sdk.content);
        break;
      }
      case 'xmtp.org/multiRemoteStaticAttachment:1.0': {
        const m = decode(MultiRemoteAttachmentSchema, content.content);
        const expected = (sdk.attachments as Record<string, unknown>[]).map((a) => ({ ...a, contentLength: a.contentLength ?? undefined }));
        expect(
          m.attachments.map((a) => ({
            url: a.url,
            contentDigest: a.contentDigest,
            secret: Buffer.from(a.secret).toString('hex'),
            salt: Buffer.from(a.salt).toString('hex'),
            nonce: Buffer.from(a.nonce).toString('hex'),
            scheme: a.scheme,
            contentLength: a.contentLength,
            filename: a.filename,
          })),
        ).toEqual(expected);
        break;
      }
      case 'xmtp.org/leave_request:1.0':
        expect(decode(LeaveRequestSchema, content.content).authenticatedNote).toBeUndefined();
        break;
      default:
        // JSON or raw-bytes content types: their codecs come with the messaging work.
        expect(content.content.length).toBeGreaterThanOrEqual(0);
    }

    if (msg.plaintextEnvelope) {
      const envelope = decode(PlaintextEnvelopeSchema, hex(msg.plaintextEnvelope));
      expect(envelope.content.case).toBe('v1');
      const v1 = envelope.content.value as { content: Uint8Array; idempotencyKey: string };
      expect(Buffer.from(v1.content).toString('hex')).toBe(msg.encodedContent);
      expect(v1.idempotencyKey).toBe(msg.idempotencyKey);
      // message id = SHA-256(group id ‖ "\t" ‖ idempotency key ‖ "\t" ‖ EncodedContent bytes)
      const id = createHash('sha256')
        .update(hex(msg.conversationId))
        .update(`\t${v1.idempotencyKey}\t`)
        .update(v1.content)
        .digest('hex');
      expect(id).toBe(msg.messageId);
    }
  });

  test.each(fixture.transcriptMessages.map((m, i) => [`${i} ${m.sdk.contentType}`, m] as const))('GroupUpdated %s', (_l, msg) => {
    const content = decode(EncodedContentSchema, hex(msg.encodedContent));
    expect(typeOf(content)).toBe('xmtp.org/group_updated:1.0');
    const u = decode(GroupUpdatedSchema, content.content);
    const ids = (xs: { inboxId: string }[]) => xs.map((x) => x.inboxId);
    expect({
      initiatedByInboxId: u.initiatedByInboxId,
      addedInboxes: ids(u.addedInboxes),
      removedInboxes: ids(u.removedInboxes),
      leftInboxes: ids(u.leftInboxes),
      metadataFieldChanges: u.metadataFieldChanges.map((c) => ({ fieldName: c.fieldName, oldValue: c.oldValue, newValue: c.newValue })),
      addedAdminInboxes: ids(u.addedAdminInboxes),
      removedAdminInboxes: ids(u.removedAdminInboxes),
      addedSuperAdminInboxes: ids(u.addedSuperAdminInboxes),
      removedSuperAdminInboxes: ids(u.removedSuperAdminInboxes),
    }).toEqual(normaliseSdkGroupUpdated(msg.sdk.content as Record<string, unknown>));
  });
});

function normaliseSdkGroupUpdated(c: Record<string, unknown>): Record<string, unknown> {
  const ids = (v: unknown) => ((v as { inboxId: string }[] | undefined) ?? []).map((x) => x.inboxId);
  return {
    initiatedByInboxId: c.initiatedByInboxId,
    addedInboxes: ids(c.addedInboxes),
    removedInboxes: ids(c.removedInboxes),
    leftInboxes: ids(c.leftInboxes),
    metadataFieldChanges: ((c.metadataFieldChanges as Record<string, unknown>[]) ?? []).map((m) => ({
      fieldName: m.fieldName,
      oldValue: m.oldValue ?? undefined,
      newValue: m.newValue ?? undefined,
    })),
    addedAdminInboxes: ids(c.addedAdminInboxes),
    removedAdminInboxes: ids(c.removedAdminInboxes),
    addedSuperAdminInboxes: ids(c.addedSuperAdminInboxes),
    removedSuperAdminInboxes: ids(c.removedSuperAdminInboxes),
  };
}

describe(`node requests sent by libxmtp ${fixture.libxmtpVersion}`, () => {
  const body = (name: string) => hex(fixture.requests[name]!.hex);

  test('UploadKeyPackage: an inbox-id credential key package', () => {
    const req = decode(UploadKeyPackageRequestSchema, body('UploadKeyPackage'));
    expect(req.isInboxIdCredential).toBe(true);
    // TLS KeyPackage: version mls10 (0x0001), cipher suite 0x0003
    expect(Buffer.from(req.keyPackage!.keyPackageTlsSerialized.subarray(0, 4)).toString('hex')).toBe('00010003');
  });

  test('PublishIdentityUpdate: CreateInbox with nonce 1 then AddAssociation of the installation', () => {
    const { identityUpdate } = decode(PublishIdentityUpdateRequestSchema, body('PublishIdentityUpdate'));
    const [create, add] = identityUpdate!.actions;
    expect(create?.kind.case).toBe('createInbox');
    expect(add?.kind.case).toBe('add');
    if (create?.kind.case !== 'createInbox' || add?.kind.case !== 'add') return;
    expect(create.kind.value.nonce).toBe(1n);
    expect(create.kind.value.initialIdentifierSignature?.signature.case).toBe('erc191');
    expect(add.kind.value.newMemberIdentifier?.kind.case).toBe('installationPublicKey');
    expect(add.kind.value.newMemberSignature?.signature.case).toBe('installationKey');
    expect(identityUpdate!.inboxId).toMatch(/^[0-9a-f]{64}$/);
  });

  test('SendGroupMessages: MLS PrivateMessages, commits not pushed, text pushed', () => {
    const commit = decode(SendGroupMessagesRequestSchema, body('SendGroupMessages(commit)')).messages[0]!;
    const text = decode(SendGroupMessagesRequestSchema, body('SendGroupMessages(contentType 1)')).messages[0]!;
    for (const m of [commit, text]) {
      expect(m.version.case).toBe('v1');
      // MlsMessage header: version mls10, wire format 2 (PrivateMessage)
      expect(Buffer.from(m.version.value!.data.subarray(0, 4)).toString('hex')).toBe('00010002');
    }
    expect(commit.version.value!.shouldPush).toBe(false);
    expect(text.version.value!.shouldPush).toBe(true);
    expect(text.version.value!.senderHmac.length).toBe(32);
  });

  test('SendWelcomeMessages: X-Wing wrapped welcomes to libxmtp installations', () => {
    const { messages } = decode(SendWelcomeMessagesRequestSchema, body('SendWelcomeMessages'));
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      expect(m.version.case).toBe('v1');
      if (m.version.case !== 'v1') continue;
      expect(m.version.value.wrapperAlgorithm).toBe(WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6);
      expect(m.version.value.hpkePublicKey.length).toBe(1216);
      expect(m.version.value.installationKey.length).toBe(32);
      expect(m.version.value.welcomeMetadata.length).toBeGreaterThan(0);
    }
  });
});
