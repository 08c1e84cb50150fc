import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { Compression } from '../../gen/mls/message_contents/content_pb.js';
import { asyncErrorCode } from '../test-support/content-errors.js';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { attachmentCodec } from './attachment-codec.js';
import type { ContentCodec } from './content-codec.js';
import { ContentErrorCodes } from './content-errors.js';
import { createContentRegistry } from './content-registry.js';
import { contentTypeId } from './content-type-id.js';
import { decodeContent, isContentOf } from './decode-content.js';
import { createDefaultContentRegistry, defaultCodecs } from './default-codecs.js';
import { createEncodedContent, encodedContentToBytes } from './encoded-content.js';
import { encodeContent } from './encode-content.js';
import { reactionCodec } from './reaction-codec.js';
import { textCodec } from './text-codec.js';

const registry = createDefaultContentRegistry();
const custom = contentTypeId({ authorityId: 'example.com', typeId: 'poll', versionMajor: 1, versionMinor: 0 });

describe('decodeContent', () => {
  test('default: libxmtp bytes decode with the standard codecs', async () => {
    const decoded = await decodeContent(registry, fromHex(libxmtpSentMessage('text').encodedContent));
    expect(isContentOf(decoded, textCodec)).toBe(true);
    if (isContentOf(decoded, textCodec)) expect(decoded.content).toBe('Hello from libxmtp 1.10 👋');
    expect(isContentOf(decoded, reactionCodec)).toBe(false);
  });

  test('behavior: an unknown type comes back as unknown with its fallback', async () => {
    const encoded = createEncodedContent({ type: custom, fallback: 'A poll: lunch?', content: new Uint8Array([1]) });
    const decoded = await decodeContent(registry, encodedContentToBytes(encoded));
    expect(decoded.kind).toBe('unknown');
    expect(decoded.fallback).toBe('A poll: lunch?');
    expect(decoded.contentType?.typeId).toBe('poll');
    expect(decoded.kind === 'unknown' && decoded.error).toBeUndefined();
  });

  test('behavior: content with no type at all is unknown too', async () => {
    const decoded = await decodeContent(registry, { ...textCodec.encode('x'), type: undefined, fallback: 'fb' });
    expect(decoded).toMatchObject({ kind: 'unknown', fallback: 'fb' });
    expect(decoded.contentType).toBeUndefined();
  });

  test('behavior: a newer minor version decodes with the same codec', async () => {
    const encoded = { ...textCodec.encode('hi'), type: contentTypeId({ authorityId: 'xmtp.org', typeId: 'text', versionMajor: 1, versionMinor: 9 }) };
    expect(await decodeContent(registry, encoded)).toMatchObject({ kind: 'content', content: 'hi' });
  });

  test('behavior: compressed content is decompressed before decoding', async () => {
    const encoded = { ...textCodec.encode(''), content: new Uint8Array(gzipSync(new TextEncoder().encode('zipped'))), compression: Compression.GZIP };
    expect(await decodeContent(registry, encoded)).toMatchObject({ kind: 'content', content: 'zipped' });
  });

  test('behavior: with onInvalid "unknown", refused content falls back carrying the error', async () => {
    const broken = createEncodedContent({ type: attachmentCodec.contentType, fallback: "Can't display", content: new Uint8Array([1]) });
    const decoded = await decodeContent(registry, broken, { onInvalid: 'unknown' });
    expect(decoded).toMatchObject({ kind: 'unknown', fallback: "Can't display" });
    expect(decoded.kind === 'unknown' && decoded.error?.code).toBe(ContentErrorCodes.missingParameter);
  });

  test('behavior: a later codec overrides a standard one for the same type', async () => {
    const shouting: ContentCodec<string> = { ...textCodec, decode: (e) => textCodec.decode(e).toUpperCase() };
    const decoded = await decodeContent(createContentRegistry([...defaultCodecs, shouting]), textCodec.encode('hi'));
    expect(decoded).toMatchObject({ kind: 'content', content: 'HI' });
    expect(createContentRegistry([...defaultCodecs, shouting]).codecs).toHaveLength(defaultCodecs.length);
  });

  test('behavior: encodeContent returns the bytes to send and the push flag', () => {
    const sent = libxmtpSentMessage('reaction-added');
    const { bytes, shouldPush, encoded } = encodeContent(reactionCodec, reactionCodec.decode(reactionCodec.encode({
      reference: 'e616a28f9a0765b410a70aac5c19576a0e15041fa50b89a4ac59de0cef3821a5',
      referenceInboxId: '1f25de476c59279fff6ebf48255a09d1c6b59db2ac659ebf1342031f8a772c8c',
      action: 1,
      content: '👍',
      schema: 1,
    })));
    expect(bytes).toEqual(fromHex(sent.encodedContent));
    expect(encodedContentToBytes(encoded)).toEqual(bytes);
    expect(shouldPush).toBe(sent.wire.shouldPush);
  });

  test('error: bytes that are not an EncodedContent', async () => {
    expect(await asyncErrorCode(() => decodeContent(registry, new Uint8Array([0x0a, 0xff, 0xff])))).toBe(ContentErrorCodes.malformed);
  });

  test('error: refused content throws its codec error by default', async () => {
    const broken = createEncodedContent({ type: attachmentCodec.contentType, content: new Uint8Array([1]) });
    expect(await asyncErrorCode(() => decodeContent(registry, broken))).toBe(ContentErrorCodes.missingParameter);
    const badZip = { ...textCodec.encode(''), content: new Uint8Array([1, 2, 3]), compression: Compression.GZIP };
    expect(await asyncErrorCode(() => decodeContent(registry, badZip))).toBe(ContentErrorCodes.decompressionFailed);
  });
});
