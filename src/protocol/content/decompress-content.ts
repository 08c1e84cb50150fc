/**
 * Undoes `EncodedContent.compression` with the web-standard DecompressionStream (present in Node 18+,
 * Chrome service workers and pages). Pure; runs everywhere.
 *
 * libxmtp 1.10 itself never compresses nor decompresses (its Rust codecs ignore the field, so a
 * compressed message shows there as its fallback); compressed content comes from xmtp-js-era and
 * mobile SDKs, which disagree on DEFLATE framing: xmtp-js uses the zlib format (`'deflate'`),
 * some Android versions raw DEFLATE (`Deflater(1, true)`). DEFLATE is therefore read as zlib when the
 * bytes carry a zlib header and inflate, else as raw DEFLATE. GZIP is RFC 1952. We never compress
 * what we send, so libxmtp can always read it.
 *
 * Guarantees: output is capped at `maxSize` bytes (`content.too_large`, against decompression
 * bombs); bad data is `content.decompression_failed`; an unknown Compression value or a runtime
 * without DecompressionStream is `content.unsupported_compression`.
 */
import { Compression, type EncodedContent } from '../../gen/mls/message_contents/content_pb.js';
import { XmtpError } from '../errors.js';
import { ContentErrorCodes, contentError } from './content-errors.js';

/** The default cap on decompressed content: 100 MiB, as xmtp-js's `maxContentSize`. */
export const DEFAULT_MAX_CONTENT_SIZE = 100 * 1024 * 1024;

export interface DecompressContentOptions {
  /** Largest decompressed size accepted, in bytes. */
  readonly maxSize?: number;
}

function looksLikeZlib(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  const cmf = bytes[0]!;
  const flg = bytes[1]!;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

async function inflate(bytes: Uint8Array, format: CompressionFormat, maxSize: number): Promise<Uint8Array> {
  const stream = new DecompressionStream(format);
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  // Errors in the data surface on the reader; keep the writer's rejections from going unhandled.
  writer
    .write(new Uint8Array(bytes))
    .then(() => writer.close())
    .catch(() => undefined);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxSize) {
        await reader.cancel().catch(() => undefined);
        throw contentError(ContentErrorCodes.tooLarge, `Decompressed content exceeds ${maxSize} bytes`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof XmtpError) throw cause;
    throw contentError(ContentErrorCodes.decompressionFailed, `The ${format} content does not decompress`, cause);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** The content bytes with `encoded.compression` undone. */
export async function decompressBytes(bytes: Uint8Array, compression: Compression, options: DecompressContentOptions = {}): Promise<Uint8Array> {
  const maxSize = options.maxSize ?? DEFAULT_MAX_CONTENT_SIZE;
  if (typeof DecompressionStream === 'undefined') {
    throw contentError(ContentErrorCodes.unsupportedCompression, 'This runtime has no DecompressionStream');
  }
  switch (compression) {
    case Compression.GZIP:
      return inflate(bytes, 'gzip', maxSize);
    case Compression.DEFLATE:
      if (looksLikeZlib(bytes)) {
        try {
          return await inflate(bytes, 'deflate', maxSize);
        } catch (error) {
          if (error instanceof XmtpError && error.code === ContentErrorCodes.tooLarge) throw error;
          // A raw DEFLATE stream whose first bytes happen to look like a zlib header: try raw.
        }
      }
      return inflate(bytes, 'deflate-raw', maxSize);
    default:
      throw contentError(ContentErrorCodes.unsupportedCompression, `Unknown compression ${String(compression)}`);
  }
}

/** A copy of `encoded` with its content decompressed and `compression` cleared (the same object when uncompressed). */
export async function decompressContent(encoded: EncodedContent, options: DecompressContentOptions = {}): Promise<EncodedContent> {
  if (encoded.compression === undefined) return encoded;
  const content = await decompressBytes(encoded.content, encoded.compression, options);
  const { compression: _compression, ...rest } = encoded;
  return { ...rest, content };
}
