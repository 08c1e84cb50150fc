/**
 * Encodes a value with its codec into everything a send needs: the EncodedContent, its protobuf
 * bytes (what goes into the PlaintextEnvelope and into the message id) and the push flag. Pure;
 * runs everywhere.
 */
import type { EncodedContent } from '../../gen/mls/message_contents/content_pb.js';
import type { ContentCodec } from './content-codec.js';
import { encodedContentToBytes } from './encoded-content.js';

export interface EncodeContentReturnType {
  readonly encoded: EncodedContent;
  readonly bytes: Uint8Array;
  /** `GroupMessageInput.V1.should_push` for this message. */
  readonly shouldPush: boolean;
}

export function encodeContent<T>(codec: ContentCodec<T>, content: T): EncodeContentReturnType {
  const encoded = codec.encode(content);
  return { encoded, bytes: encodedContentToBytes(encoded), shouldPush: codec.shouldPush(content) };
}
