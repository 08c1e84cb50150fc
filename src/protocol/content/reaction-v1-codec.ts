/**
 * `xmtp.org/reaction:1.0`: the legacy JSON reaction, read into the same `Reaction` value as v2.
 * Pure; runs everywhere.
 *
 * Wire (libxmtp `reaction.rs` LegacyReactionCodec): JSON
 * `{"action":"added"|"removed","reference":…,"referenceInboxId"?:…,"schema":"unicode"|"shortcode"|"custom","content":…}`.
 * Unknown action or schema strings read as UNSPECIFIED, as libxmtp does. New reactions should be
 * sent as v2; encoding v1 is here for tests and old peers. Push: false in libxmtp 1.10.
 */
import { ContentErrorCodes, contentError } from './content-errors.js';
import { assertContentType, type ContentCodec } from './content-codec.js';
import { utf8Bytes } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';
import { field, optionalString, parseJsonObject, requiredString } from './json-fields.js';
import { type Reaction, ReactionAction, reactionFallback, ReactionSchema } from './reaction-codec.js';
import { serdeJson } from './serde-json.js';

export const ContentTypeReactionV1 = contentTypeId({ authorityId: 'xmtp.org', typeId: 'reaction', versionMajor: 1, versionMinor: 0 });

const ACTIONS: Readonly<Record<string, ReactionAction>> = { added: ReactionAction.ADDED, removed: ReactionAction.REMOVED };
const SCHEMAS: Readonly<Record<string, ReactionSchema>> = {
  unicode: ReactionSchema.UNICODE,
  shortcode: ReactionSchema.SHORTCODE,
  custom: ReactionSchema.CUSTOM,
};

function nameOf<T>(table: Readonly<Record<string, T>>, value: T, what: string): string {
  const name = Object.keys(table).find((k) => table[k] === value);
  if (name === undefined) throw contentError(ContentErrorCodes.invalidContent, `A v1 reaction cannot carry ${what} ${String(value)}`);
  return name;
}

export const reactionV1Codec: ContentCodec<Reaction> = {
  contentType: ContentTypeReactionV1,
  encode(reaction) {
    const json = serdeJson({
      action: nameOf(ACTIONS, reaction.action, 'action'),
      reference: reaction.reference,
      referenceInboxId: reaction.referenceInboxId === '' ? undefined : reaction.referenceInboxId,
      schema: nameOf(SCHEMAS, reaction.schema, 'schema'),
      content: reaction.content,
    });
    return createEncodedContent({ type: ContentTypeReactionV1, fallback: reactionV1Codec.fallback(reaction), content: utf8Bytes(json) });
  },
  decode(encoded) {
    assertContentType(reactionV1Codec, encoded);
    const what = 'reaction v1';
    const json = parseJsonObject(encoded.content, what);
    const action = requiredString(json, 'action', what);
    const schema = requiredString(json, 'schema', what);
    return {
      reference: requiredString(json, 'reference', what),
      referenceInboxId: optionalString(field(json, 'referenceInboxId'), 'referenceInboxId', what) ?? '',
      action: Object.hasOwn(ACTIONS, action) ? ACTIONS[action]! : ReactionAction.UNSPECIFIED,
      content: requiredString(json, 'content', what),
      schema: Object.hasOwn(SCHEMAS, schema) ? SCHEMAS[schema]! : ReactionSchema.UNSPECIFIED,
    };
  },
  fallback: (reaction) => reactionFallback(reaction.action === ReactionAction.REMOVED, reaction.content),
  shouldPush: () => false,
};
