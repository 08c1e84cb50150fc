/**
 * A set of codecs looked up by content type (authority, type and major version; any minor version).
 * Pure; runs everywhere.
 *
 * When two codecs claim the same type, the later one wins, so an app can override a standard codec.
 */
import type { ContentCodec } from './content-codec.js';
import { type ContentTypeId, contentTypeKey } from './content-type-id.js';

export interface ContentRegistry {
  readonly codecs: readonly ContentCodec<unknown>[];
  /** The codec for `type`, if registered. */
  codecFor(type: ContentTypeId): ContentCodec<unknown> | undefined;
}

export function createContentRegistry(codecs: readonly ContentCodec<unknown>[]): ContentRegistry {
  const byKey = new Map<string, ContentCodec<unknown>>();
  for (const codec of codecs) byKey.set(contentTypeKey(codec.contentType), codec);
  const list = Object.freeze([...byKey.values()]);
  return {
    codecs: list,
    codecFor: (type) => byKey.get(contentTypeKey(type)),
  };
}
