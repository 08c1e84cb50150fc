/**
 * `xmtp.org/walletSendCalls:1.0`: an EIP-5792 `wallet_sendCalls` request, as JSON. Pure; runs
 * everywhere.
 *
 * Wire (libxmtp `wallet_send_calls.rs`, serde): `{"version","chainId","from","calls":[{"to"?,"data"?,
 * "value"?,"gas"?,"metadata"?:{"description","transactionType",…more string fields}}],"capabilities"?:{…}}`;
 * fallback `[Transaction request generated]: <the same JSON>`. Pushes. libxmtp keeps `capabilities`
 * and the extra metadata fields in HashMaps, so with more than one entry its key order is random:
 * byte-identical to libxmtp only when each of those holds at most one entry.
 */
import { assertContentType, type ContentCodec } from './content-codec.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import { utf8Bytes } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';
import {
  field,
  isJsonObject,
  type JsonValue,
  optionalString,
  optionalStringMap,
  parseJsonObject,
  requiredArray,
  requiredString,
} from './json-fields.js';
import { serdeJson } from './serde-json.js';

export const ContentTypeWalletSendCalls = contentTypeId({
  authorityId: 'xmtp.org',
  typeId: 'walletSendCalls',
  versionMajor: 1,
  versionMinor: 0,
});

export interface WalletCallMetadata {
  readonly description: string;
  readonly transactionType: string;
  readonly [key: string]: string;
}

export interface WalletCall {
  readonly to?: string | undefined;
  readonly data?: string | undefined;
  readonly value?: string | undefined;
  readonly gas?: string | undefined;
  readonly metadata?: WalletCallMetadata | undefined;
}

export interface WalletSendCalls {
  readonly version: string;
  readonly chainId: string;
  readonly from: string;
  readonly calls: readonly WalletCall[];
  readonly capabilities?: Readonly<Record<string, string>> | undefined;
}

const WHAT = 'A wallet send calls request';

function json(calls: WalletSendCalls): string {
  return serdeJson({
    version: calls.version,
    chainId: calls.chainId,
    from: calls.from,
    calls: calls.calls.map((c) => ({
      to: c.to,
      data: c.data,
      value: c.value,
      gas: c.gas,
      metadata:
        c.metadata === undefined
          ? undefined
          : (() => {
              const { description, transactionType, ...extra } = c.metadata;
              return { description, transactionType, ...extra };
            })(),
    })),
    capabilities: calls.capabilities,
  });
}

function readCall(value: JsonValue): WalletCall {
  if (!isJsonObject(value)) throw contentError(ContentErrorCodes.malformed, `${WHAT}: each call must be an object`);
  const call: Record<string, unknown> = {};
  for (const key of ['to', 'data', 'value', 'gas'] as const) {
    const v = optionalString(field(value, key), key, WHAT);
    if (v !== undefined) call[key] = v;
  }
  const metadata = optionalStringMap(field(value, 'metadata'), 'metadata', WHAT);
  if (metadata !== undefined) {
    const { description, transactionType, ...extra } = metadata;
    if (description === undefined) throw contentError(ContentErrorCodes.malformed, `${WHAT}: missing field metadata.description`);
    if (transactionType === undefined) throw contentError(ContentErrorCodes.malformed, `${WHAT}: missing field metadata.transactionType`);
    call.metadata = { description, transactionType, ...extra };
  }
  return call as WalletCall;
}

export const walletSendCallsCodec: ContentCodec<WalletSendCalls> = {
  contentType: ContentTypeWalletSendCalls,
  encode: (calls) =>
    createEncodedContent({
      type: ContentTypeWalletSendCalls,
      fallback: walletSendCallsCodec.fallback(calls),
      content: utf8Bytes(json(calls)),
    }),
  decode(encoded) {
    assertContentType(walletSendCallsCodec, encoded);
    const value = parseJsonObject(encoded.content, WHAT);
    const capabilities = optionalStringMap(field(value, 'capabilities'), 'capabilities', WHAT);
    return {
      version: requiredString(value, 'version', WHAT),
      chainId: requiredString(value, 'chainId', WHAT),
      from: requiredString(value, 'from', WHAT),
      calls: requiredArray(value, 'calls', WHAT).map(readCall),
      ...(capabilities === undefined ? {} : { capabilities }),
    };
  },
  fallback: (calls) => `[Transaction request generated]: ${json(calls)}`,
  shouldPush: () => true,
};
