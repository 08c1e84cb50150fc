/**
 * The PlaintextEnvelope every application message carries inside MLS. Pure; runs everywhere.
 *
 * Sending (libxmtp `groups/mod.rs into_envelope`): always V1 `{content = EncodedContent bytes,
 * idempotency_key}`, the key being the send time in nanoseconds as a decimal string (the same time
 * libxmtp stores as `sent_at_ns`). Receiving: V1, and V2 (`content = 2`) for content; V2's device-sync
 * variants (request, reply, user-preference update) are returned as they are, never refused.
 *
 * Guarantees: anything that is not a PlaintextEnvelope with a payload is `content.invalid_envelope`.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { PlaintextEnvelope_V2 } from '../../gen/mls/message_contents/content_pb.js';
import { PlaintextEnvelopeSchema } from '../../gen/mls/message_contents/content_pb.js';
import { ContentErrorCodes, contentError } from './content-errors.js';

export interface EncodePlaintextEnvelopeParameters {
  /** The EncodedContent protobuf bytes. */
  readonly content: Uint8Array;
  readonly idempotencyKey: string;
}

export interface PlaintextEnvelopeContent {
  readonly kind: 'content';
  readonly version: 1 | 2;
  /** The EncodedContent protobuf bytes (hash these, not a re-encoding, for the message id). */
  readonly content: Uint8Array;
  readonly idempotencyKey: string;
}

export interface PlaintextEnvelopeDeviceSync {
  readonly kind: 'deviceSync';
  readonly version: 2;
  readonly idempotencyKey: string;
  readonly message: Exclude<PlaintextEnvelope_V2['messageType'], { case: 'content' } | { case: undefined }>;
}

export type DecodedPlaintextEnvelope = PlaintextEnvelopeContent | PlaintextEnvelopeDeviceSync;

/** libxmtp's idempotency key for a message sent at `timestampNs`. */
export function idempotencyKeyFor(timestampNs: bigint): string {
  return timestampNs.toString();
}

/** A V1 PlaintextEnvelope, as libxmtp sends. */
export function encodePlaintextEnvelope(parameters: EncodePlaintextEnvelopeParameters): Uint8Array {
  return toBinary(
    PlaintextEnvelopeSchema,
    create(PlaintextEnvelopeSchema, {
      content: { case: 'v1', value: { content: parameters.content, idempotencyKey: parameters.idempotencyKey } },
    }),
  );
}

export function decodePlaintextEnvelope(bytes: Uint8Array): DecodedPlaintextEnvelope {
  let envelope;
  try {
    envelope = fromBinary(PlaintextEnvelopeSchema, bytes);
  } catch (cause) {
    throw contentError(ContentErrorCodes.invalidEnvelope, 'Not a PlaintextEnvelope protobuf', cause);
  }
  const body = envelope.content;
  switch (body.case) {
    case 'v1':
      return { kind: 'content', version: 1, content: body.value.content, idempotencyKey: body.value.idempotencyKey };
    case 'v2': {
      const { idempotencyKey, messageType } = body.value;
      if (messageType.case === 'content') return { kind: 'content', version: 2, content: messageType.value, idempotencyKey };
      if (messageType.case === undefined) throw contentError(ContentErrorCodes.invalidEnvelope, 'A V2 PlaintextEnvelope with no payload');
      return { kind: 'deviceSync', version: 2, idempotencyKey, message: messageType };
    }
    default:
      throw contentError(ContentErrorCodes.invalidEnvelope, 'A PlaintextEnvelope with no version');
  }
}
