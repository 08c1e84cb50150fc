/**
 * `coinbase.com/actions:1.0`: a menu of buttons an agent offers (answered with an intent), as JSON.
 * Pure; runs everywhere.
 *
 * Wire (libxmtp `actions.rs`, serde): `{"id","description","actions":[{"id","label","imageUrl"?,
 * "style"? ("primary"|"secondary"|"danger"),"expiresAt"?}],"expiresAt"?}`; times are RFC 3339, written
 * `YYYY-MM-DDTHH:MM:SS.sssZ`; `image_url` / `expires_at` are read too. Fallback
 * `<description>\n\n[1] <label>\n[2] <label>\n\nReply with the number to select`. Pushes. Encoding
 * refuses an empty list, more than 10 actions and duplicate ids, as libxmtp. No maps, so encoding is
 * byte-identical to libxmtp's.
 */
import { assertContentType, type ContentCodec } from './content-codec.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import { utf8Bytes } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';
import { aliasedField, isJsonObject, type JsonObject, type JsonValue, optionalString, parseJsonObject, requiredArray, requiredString } from './json-fields.js';
import { formatRfc3339Millis, parseRfc3339Ns } from './rfc3339.js';
import { serdeJson } from './serde-json.js';

export const ContentTypeActions = contentTypeId({ authorityId: 'coinbase.com', typeId: 'actions', versionMajor: 1, versionMinor: 0 });

export type ActionStyle = 'primary' | 'secondary' | 'danger';

export interface Action {
  readonly id: string;
  readonly label: string;
  readonly imageUrl?: string | undefined;
  readonly style?: ActionStyle | undefined;
  /** Nanoseconds since the epoch (millisecond precision on the wire). */
  readonly expiresAtNs?: bigint | undefined;
}

export interface Actions {
  readonly id: string;
  readonly description: string;
  readonly actions: readonly Action[];
  readonly expiresAtNs?: bigint | undefined;
}

const WHAT = 'An actions message';
const STYLES: readonly string[] = ['primary', 'secondary', 'danger'];
export const MAX_ACTIONS = 10;

function malformed(why: string) {
  return contentError(ContentErrorCodes.malformed, `${WHAT}: ${why}`);
}

function readExpiry(object: JsonObject): bigint | undefined {
  const text = optionalString(aliasedField(object, ['expiresAt', 'expires_at']), 'expiresAt', WHAT);
  if (text === undefined) return undefined;
  const ns = parseRfc3339Ns(text);
  if (ns === undefined) throw malformed(`expiresAt is not an RFC 3339 time: ${JSON.stringify(text)}`);
  return ns;
}

function writeExpiry(ns: bigint | undefined): string | undefined {
  if (ns === undefined) return undefined;
  const text = formatRfc3339Millis(ns);
  if (text === undefined) throw contentError(ContentErrorCodes.invalidContent, `${WHAT}: expiry ${ns} is outside years 0–9999`);
  return text;
}

function readAction(value: JsonValue): Action {
  if (!isJsonObject(value)) throw malformed('each action must be an object');
  const imageUrl = optionalString(aliasedField(value, ['imageUrl', 'image_url']), 'imageUrl', WHAT);
  const style = optionalString(aliasedField(value, ['style']), 'style', WHAT);
  if (style !== undefined && !STYLES.includes(style)) throw malformed(`unknown action style ${JSON.stringify(style)}`);
  const expiresAtNs = readExpiry(value);
  return {
    id: requiredString(value, 'id', WHAT),
    label: requiredString(value, 'label', WHAT),
    ...(imageUrl === undefined ? {} : { imageUrl }),
    ...(style === undefined ? {} : { style: style as ActionStyle }),
    ...(expiresAtNs === undefined ? {} : { expiresAtNs }),
  };
}

export const actionsCodec: ContentCodec<Actions> = {
  contentType: ContentTypeActions,
  encode(actions) {
    const invalid = (why: string) => contentError(ContentErrorCodes.invalidContent, why);
    if (actions.actions.length === 0) throw invalid('Actions must contain at least one action.');
    if (actions.actions.length > MAX_ACTIONS) throw invalid('Actions cannot exceed 10 actions for UX reasons.');
    if (new Set(actions.actions.map((a) => a.id)).size !== actions.actions.length) throw invalid('Action ids must be unique.');
    const json = serdeJson({
      id: actions.id,
      description: actions.description,
      actions: actions.actions.map((a) => ({
        id: a.id,
        label: a.label,
        imageUrl: a.imageUrl,
        style: a.style,
        expiresAt: writeExpiry(a.expiresAtNs),
      })),
      expiresAt: writeExpiry(actions.expiresAtNs),
    });
    return createEncodedContent({ type: ContentTypeActions, fallback: actionsCodec.fallback(actions), content: utf8Bytes(json) });
  },
  decode(encoded) {
    assertContentType(actionsCodec, encoded);
    const value = parseJsonObject(encoded.content, WHAT);
    const expiresAtNs = readExpiry(value);
    return {
      id: requiredString(value, 'id', WHAT),
      description: requiredString(value, 'description', WHAT),
      actions: requiredArray(value, 'actions', WHAT).map(readAction),
      ...(expiresAtNs === undefined ? {} : { expiresAtNs }),
    };
  },
  fallback: (actions) =>
    `${actions.description}\n\n${actions.actions.map((a, i) => `[${i + 1}] ${a.label}`).join('\n')}\n\nReply with the number to select`,
  shouldPush: () => true,
};
