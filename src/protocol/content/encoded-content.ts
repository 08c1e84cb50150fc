/**
 * EncodedContent messages: build one, and move it to and from its protobuf bytes. Pure; runs
 * everywhere.
 *
 * Guarantees: an absent fallback or compression is absent on the wire (as prost writes it),
 * parameters are written in the order given, and undecodable bytes are a `content.malformed` error.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type EncodedContent, EncodedContentSchema } from '../../gen/mls/message_contents/content_pb.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import type { ContentTypeId } from './content-type-id.js';

export type { EncodedContent };

export interface CreateEncodedContentParameters {
  readonly type: ContentTypeId;
  /** Written in this order (libxmtp writes its HashMap in hash order, so peers may differ). */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly fallback?: string | undefined;
  readonly content?: Uint8Array;
}

export function createEncodedContent(parameters: CreateEncodedContentParameters): EncodedContent {
  return create(EncodedContentSchema, {
    type: parameters.type,
    parameters: { ...(parameters.parameters ?? {}) },
    ...(parameters.fallback === undefined ? {} : { fallback: parameters.fallback }),
    content: parameters.content ?? new Uint8Array(0),
  });
}

export function encodedContentToBytes(encoded: EncodedContent): Uint8Array {
  return toBinary(EncodedContentSchema, encoded);
}

/** Parses EncodedContent bytes. Throws `content.malformed`. */
export function encodedContentFromBytes(bytes: Uint8Array): EncodedContent {
  try {
    return fromBinary(EncodedContentSchema, bytes);
  } catch (cause) {
    throw contentError(ContentErrorCodes.malformed, 'The bytes are not an EncodedContent protobuf', cause);
  }
}
