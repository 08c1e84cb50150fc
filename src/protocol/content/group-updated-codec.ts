/**
 * `xmtp.org/group_updated:1.0`: the transcript entry for a validated commit or a welcome (who
 * added, removed, left, was promoted, and which metadata fields changed). Pure; runs everywhere.
 *
 * Never sent: every client synthesises it locally (libxmtp `save_transcript_message`) and stores it
 * under the id `messageId(groupId, <envelope timestamp ns>, bytes)` (see `groupUpdatedMessageId`).
 * Wire form (libxmtp `group_updated.rs`): content = protobuf `GroupUpdated`, no parameters, no
 * fallback. Push: false. No maps, so encoding is byte-identical to libxmtp's.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { GroupUpdatedSchema } from '../../gen/mls/message_contents/transcript_messages_pb.js';
import { assertContentType, type ContentCodec } from './content-codec.js';
import { protobufContent } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';

export const ContentTypeGroupUpdated = contentTypeId({ authorityId: 'xmtp.org', typeId: 'group_updated', versionMajor: 1, versionMinor: 0 });

export interface MetadataFieldChange {
  /** e.g. `group_name`, `description`, `group_image_url_square`, `app_data`. */
  readonly fieldName: string;
  readonly oldValue?: string | undefined;
  readonly newValue?: string | undefined;
}

/** Inbox lists hold inbox ids. */
export interface GroupUpdated {
  readonly initiatedByInboxId: string;
  readonly addedInboxes: readonly string[];
  readonly removedInboxes: readonly string[];
  readonly metadataFieldChanges: readonly MetadataFieldChange[];
  readonly leftInboxes: readonly string[];
  readonly addedAdminInboxes: readonly string[];
  readonly removedAdminInboxes: readonly string[];
  readonly addedSuperAdminInboxes: readonly string[];
  readonly removedSuperAdminInboxes: readonly string[];
}

const inboxes = (ids: readonly string[]) => ids.map((inboxId) => ({ inboxId }));
const ids = (list: readonly { inboxId: string }[]) => list.map((i) => i.inboxId);

export const groupUpdatedCodec: ContentCodec<GroupUpdated> = {
  contentType: ContentTypeGroupUpdated,
  encode(update) {
    const message = create(GroupUpdatedSchema, {
      initiatedByInboxId: update.initiatedByInboxId,
      addedInboxes: inboxes(update.addedInboxes),
      removedInboxes: inboxes(update.removedInboxes),
      metadataFieldChanges: update.metadataFieldChanges.map((c) => ({
        fieldName: c.fieldName,
        ...(c.oldValue === undefined ? {} : { oldValue: c.oldValue }),
        ...(c.newValue === undefined ? {} : { newValue: c.newValue }),
      })),
      leftInboxes: inboxes(update.leftInboxes),
      addedAdminInboxes: inboxes(update.addedAdminInboxes),
      removedAdminInboxes: inboxes(update.removedAdminInboxes),
      addedSuperAdminInboxes: inboxes(update.addedSuperAdminInboxes),
      removedSuperAdminInboxes: inboxes(update.removedSuperAdminInboxes),
    });
    return createEncodedContent({ type: ContentTypeGroupUpdated, content: toBinary(GroupUpdatedSchema, message) });
  },
  decode(encoded) {
    assertContentType(groupUpdatedCodec, encoded);
    const m = protobufContent(GroupUpdatedSchema, encoded.content, 'A group update');
    return {
      initiatedByInboxId: m.initiatedByInboxId,
      addedInboxes: ids(m.addedInboxes),
      removedInboxes: ids(m.removedInboxes),
      metadataFieldChanges: m.metadataFieldChanges.map((c) => ({
        fieldName: c.fieldName,
        ...(c.oldValue === undefined ? {} : { oldValue: c.oldValue }),
        ...(c.newValue === undefined ? {} : { newValue: c.newValue }),
      })),
      leftInboxes: ids(m.leftInboxes),
      addedAdminInboxes: ids(m.addedAdminInboxes),
      removedAdminInboxes: ids(m.removedAdminInboxes),
      addedSuperAdminInboxes: ids(m.addedSuperAdminInboxes),
      removedSuperAdminInboxes: ids(m.removedSuperAdminInboxes),
    };
  },
  fallback: () => undefined,
  shouldPush: () => false,
};
