/**
 * Content type ids (`authority/type:major.minor`): build, format, parse and compare them. Pure; runs
 * everywhere.
 *
 * Guarantees: `formatContentTypeId` writes exactly libxmtp's string (`reply.rs`: the reply's
 * `contentType` parameter), `parseContentTypeId` reads it back (the type id may itself contain `/`,
 * e.g. device sync's `xmtp.org/application/x-protobuf:1.0`), and two ids are the same content type
 * when authority, type and major version agree: a minor version is a compatible revision.
 */
import { create } from '@bufbuild/protobuf';
import { type ContentTypeId, ContentTypeIdSchema } from '../../gen/mls/message_contents/content_pb.js';
import { ContentErrorCodes, contentError } from './content-errors.js';

export type { ContentTypeId };

export interface ContentTypeIdParameters {
  readonly authorityId: string;
  readonly typeId: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
}

const MAX_U32 = 0xffff_ffff;

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_U32;
}

/** A ContentTypeId message. Throws `content.invalid_content_type` for an empty type or a version that is not a u32. */
export function contentTypeId(parameters: ContentTypeIdParameters): ContentTypeId {
  const { authorityId, typeId, versionMajor, versionMinor } = parameters;
  if (typeId.length === 0) throw contentError(ContentErrorCodes.invalidContentType, 'A content type needs a type id');
  if (!isU32(versionMajor) || !isU32(versionMinor)) {
    throw contentError(ContentErrorCodes.invalidContentType, `Content type versions must be u32, got ${versionMajor}.${versionMinor}`);
  }
  return create(ContentTypeIdSchema, { authorityId, typeId, versionMajor, versionMinor });
}

/** `authority/type:major.minor`, as libxmtp writes it. */
export function formatContentTypeId(id: ContentTypeIdParameters): string {
  return `${id.authorityId}/${id.typeId}:${id.versionMajor}.${id.versionMinor}`;
}

const CONTENT_TYPE_PATTERN = /^([^/]*)\/(.+):(\d{1,10})\.(\d{1,10})$/s;

/** Reads `authority/type:major.minor`. Throws `content.invalid_content_type` for anything else. */
export function parseContentTypeId(text: string): ContentTypeId {
  const match = CONTENT_TYPE_PATTERN.exec(text);
  if (!match) {
    throw contentError(ContentErrorCodes.invalidContentType, `Not a content type (authority/type:major.minor): ${JSON.stringify(text)}`);
  }
  return contentTypeId({
    authorityId: match[1]!,
    typeId: match[2]!,
    versionMajor: Number(match[3]),
    versionMinor: Number(match[4]),
  });
}

/** True when both name the same content type: same authority, type and major version (the minor may differ). */
export function isSameContentType(a: ContentTypeIdParameters, b: ContentTypeIdParameters): boolean {
  return a.authorityId === b.authorityId && a.typeId === b.typeId && a.versionMajor === b.versionMajor;
}

/** A lookup key that ignores the minor version (`authority/type:major`). */
export function contentTypeKey(id: ContentTypeIdParameters): string {
  return `${id.authorityId}/${id.typeId}:${id.versionMajor}`;
}
