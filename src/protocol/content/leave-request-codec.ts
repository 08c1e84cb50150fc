/**
 * `xmtp.org/leave_request:1.0`: a member asks to be removed from the group (node-sdk's
 * `requestRemoval()`); an admin's client then removes it. Pure; runs everywhere.
 *
 * Wire (libxmtp `leave_request.rs`): content = protobuf `LeaveRequest{optional bytes
 * authenticated_note = 1}` (libxmtp 1.10 sends it empty, so the content bytes are empty), no
 * parameters, no fallback. Push: false.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { LeaveRequestSchema } from '../../gen/mls/message_contents/content_types/leave_request_pb.js';
import { assertContentType, type ContentCodec } from './content-codec.js';
import { protobufContent } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';

export const ContentTypeLeaveRequest = contentTypeId({ authorityId: 'xmtp.org', typeId: 'leave_request', versionMajor: 1, versionMinor: 0 });

export interface LeaveRequest {
  readonly authenticatedNote?: Uint8Array | undefined;
}

export const leaveRequestCodec: ContentCodec<LeaveRequest> = {
  contentType: ContentTypeLeaveRequest,
  encode: (request) =>
    createEncodedContent({
      type: ContentTypeLeaveRequest,
      content: toBinary(
        LeaveRequestSchema,
        create(LeaveRequestSchema, request.authenticatedNote === undefined ? {} : { authenticatedNote: request.authenticatedNote }),
      ),
    }),
  decode(encoded) {
    assertContentType(leaveRequestCodec, encoded);
    const { authenticatedNote } = protobufContent(LeaveRequestSchema, encoded.content, 'A leave request');
    return authenticatedNote === undefined ? {} : { authenticatedNote };
  },
  fallback: () => undefined,
  shouldPush: () => false,
};
