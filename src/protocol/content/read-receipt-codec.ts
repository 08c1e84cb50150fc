/**
 * `xmtp.org/readReceipt:1.0`: "I have read this conversation". Pure; runs everywhere.
 *
 * Wire (libxmtp `read_receipt.rs`): empty content, no parameters, no fallback; any content bytes
 * are ignored on read. Push: false.
 */
import { assertContentType, type ContentCodec } from './content-codec.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';

export const ContentTypeReadReceipt = contentTypeId({ authorityId: 'xmtp.org', typeId: 'readReceipt', versionMajor: 1, versionMinor: 0 });

export type ReadReceipt = Record<string, never>;

export const readReceiptCodec: ContentCodec<ReadReceipt> = {
  contentType: ContentTypeReadReceipt,
  encode: () => createEncodedContent({ type: ContentTypeReadReceipt }),
  decode(encoded) {
    assertContentType(readReceiptCodec, encoded);
    return {};
  },
  fallback: () => undefined,
  shouldPush: () => false,
};
