import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Compression } from '../../gen/mls/message_contents/content_pb.js';
import { asyncErrorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { decompressBytes, decompressContent } from './decompress-content.js';
import { textCodec } from './text-codec.js';

const text = 'compressed '.repeat(500);
const plain = new TextEncoder().encode(text);

describe('decompressContent', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  test('default: DEFLATE in the zlib format (xmtp-js) and GZIP inflate', async () => {
    for (const [compression, bytes] of [
      [Compression.DEFLATE, deflateSync(plain)],
      [Compression.GZIP, gzipSync(plain)],
    ] as const) {
      const encoded = { ...textCodec.encode(''), content: new Uint8Array(bytes), compression };
      const out = await decompressContent(encoded);
      expect(out.compression).toBeUndefined();
      expect(textCodec.decode(out)).toBe(text);
    }
  });

  test('behavior: raw DEFLATE (some Android SDKs) is read too', async () => {
    expect(await decompressBytes(new Uint8Array(deflateRawSync(plain)), Compression.DEFLATE)).toEqual(plain);
  });

  test('behavior: uncompressed content is returned as it is', async () => {
    const encoded = textCodec.encode('x');
    expect(await decompressContent(encoded)).toBe(encoded);
  });

  test('error: more than maxSize bytes after inflating (a decompression bomb)', async () => {
    const bomb = new Uint8Array(gzipSync(new Uint8Array(4 * 1024 * 1024)));
    expect(bomb.length).toBeLessThan(8 * 1024);
    expect(await asyncErrorCode(() => decompressBytes(bomb, Compression.GZIP, { maxSize: 1024 * 1024 }))).toBe(ContentErrorCodes.tooLarge);
    const zlibBomb = new Uint8Array(deflateSync(new Uint8Array(4 * 1024 * 1024)));
    expect(await asyncErrorCode(() => decompressBytes(zlibBomb, Compression.DEFLATE, { maxSize: 1024 * 1024 }))).toBe(ContentErrorCodes.tooLarge);
  });

  test('error: data that does not inflate, or is cut short', async () => {
    const garbage = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await asyncErrorCode(() => decompressBytes(garbage, Compression.GZIP))).toBe(ContentErrorCodes.decompressionFailed);
    expect(await asyncErrorCode(() => decompressBytes(new Uint8Array([0xff, 0xff, 0xff]), Compression.DEFLATE))).toBe(ContentErrorCodes.decompressionFailed);
    const cut = new Uint8Array(gzipSync(plain)).subarray(0, 20);
    expect(await asyncErrorCode(() => decompressBytes(cut, Compression.GZIP))).toBe(ContentErrorCodes.decompressionFailed);
  });

  test('error: an unknown compression, or a runtime without DecompressionStream', async () => {
    expect(await asyncErrorCode(() => decompressBytes(plain, 7 as Compression))).toBe(ContentErrorCodes.unsupportedCompression);
    vi.stubGlobal('DecompressionStream', undefined);
    expect(await asyncErrorCode(() => decompressBytes(plain, Compression.GZIP))).toBe(ContentErrorCodes.unsupportedCompression);
  });
});
