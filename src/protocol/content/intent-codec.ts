/**
 * `coinbase.com/intent:1.0`: the answer to an actions menu, as JSON. Pure; runs everywhere.
 *
 * Wire (libxmtp `intent.rs`, serde): `{"id","actionId","metadata"?:{…any JSON…}}` (`action_id` is read
 * too); fallback `User selected action: <actionId>`. Pushes. Encoding refuses metadata whose JSON
 * exceeds 10 KiB, as libxmtp. libxmtp keeps `metadata` in a HashMap (random key order), so with more
 * than one metadata key the bytes may differ from libxmtp's while meaning the same.
 */
import { assertContentType, type ContentCodec } from './content-codec.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import { utf8Bytes } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';
import { aliasedField, field, type JsonObject, parseJsonObject, requiredObject } from './json-fields.js';
import { serdeJson, serdeValueOf } from './serde-json.js';

export const ContentTypeIntent = contentTypeId({ authorityId: 'coinbase.com', typeId: 'intent', versionMajor: 1, versionMinor: 0 });

export const INTENT_METADATA_LIMIT = 10 * 1024;

export interface Intent {
  /** The actions message's id. */
  readonly id: string;
  /** The chosen action's id. */
  readonly actionId: string;
  readonly metadata?: Readonly<JsonObject> | undefined;
}

const WHAT = 'An intent';

export const intentCodec: ContentCodec<Intent> = {
  contentType: ContentTypeIntent,
  encode(intent) {
    const metadata = intent.metadata === undefined ? undefined : serdeValueOf(intent.metadata);
    if (metadata !== undefined && utf8Bytes(serdeJson(metadata)).length > INTENT_METADATA_LIMIT) {
      throw contentError(ContentErrorCodes.invalidContent, 'Intent metadata is too large. (limit: 10kb)');
    }
    const json = serdeJson({ id: intent.id, actionId: intent.actionId, metadata });
    return createEncodedContent({ type: ContentTypeIntent, fallback: intentCodec.fallback(intent), content: utf8Bytes(json) });
  },
  decode(encoded) {
    assertContentType(intentCodec, encoded);
    const value = parseJsonObject(encoded.content, WHAT);
    const actionId = aliasedField(value, ['actionId', 'action_id']);
    if (typeof actionId !== 'string') throw contentError(ContentErrorCodes.malformed, `${WHAT}: actionId must be a string`);
    const id = field(value, 'id');
    if (typeof id !== 'string') throw contentError(ContentErrorCodes.malformed, `${WHAT}: id must be a string`);
    const rawMetadata = field(value, 'metadata');
    const metadata = rawMetadata === undefined || rawMetadata === null ? undefined : requiredObject(rawMetadata, 'metadata', WHAT);
    return { id, actionId, ...(metadata === undefined ? {} : { metadata }) };
  },
  fallback: (intent) => `User selected action: ${intent.actionId}`,
  shouldPush: () => true,
};
