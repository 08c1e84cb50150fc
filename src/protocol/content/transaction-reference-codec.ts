/**
 * `xmtp.org/transactionReference:1.0`: a pointer to an on-chain transaction, as JSON. Pure; runs
 * everywhere.
 *
 * Wire (libxmtp `transaction_reference.rs`, serde): `{"namespace"?, "networkId", "reference",
 * "metadata"?: {"transactionType","currency","amount" (f64),"decimals" (u32),"fromAddress","toAddress"}}`
 * in that order, absent options left out. `networkId` may arrive as a JSON number (read as its
 * decimal text). Fallback
 * `[Crypto transaction] Use a blockchain explorer to learn more using the transaction hash: <reference>`
 * (`Crypto transaction` when the reference is empty). Pushes. No parameters, so encoding is
 * byte-identical to libxmtp's.
 */
import { assertContentType, type ContentCodec } from './content-codec.js';
import { ContentErrorCodes, contentError } from './content-errors.js';
import { utf8Bytes } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';
import { field, optionalString, parseJsonObject, requiredNumber, requiredObject, requiredString, requiredU32 } from './json-fields.js';
import { F64, formatF64, serdeJson } from './serde-json.js';

export const ContentTypeTransactionReference = contentTypeId({
  authorityId: 'xmtp.org',
  typeId: 'transactionReference',
  versionMajor: 1,
  versionMinor: 0,
});

export interface TransactionMetadata {
  readonly transactionType: string;
  readonly currency: string;
  readonly amount: number;
  readonly decimals: number;
  readonly fromAddress: string;
  readonly toAddress: string;
}

export interface TransactionReference {
  /** e.g. "eip155". */
  readonly namespace?: string | undefined;
  readonly networkId: string;
  /** The transaction hash. */
  readonly reference: string;
  readonly metadata?: TransactionMetadata | undefined;
}

const WHAT = 'A transaction reference';

export const transactionReferenceCodec: ContentCodec<TransactionReference> = {
  contentType: ContentTypeTransactionReference,
  encode(tx) {
    const m = tx.metadata;
    const json = serdeJson({
      namespace: tx.namespace,
      networkId: tx.networkId,
      reference: tx.reference,
      metadata:
        m === undefined
          ? undefined
          : {
              transactionType: m.transactionType,
              currency: m.currency,
              amount: new F64(m.amount),
              decimals: m.decimals,
              fromAddress: m.fromAddress,
              toAddress: m.toAddress,
            },
    });
    return createEncodedContent({
      type: ContentTypeTransactionReference,
      fallback: transactionReferenceCodec.fallback(tx),
      content: utf8Bytes(json),
    });
  },
  decode(encoded) {
    assertContentType(transactionReferenceCodec, encoded);
    const json = parseJsonObject(encoded.content, WHAT);
    const network = field(json, 'networkId');
    let networkId: string;
    if (typeof network === 'string') networkId = network;
    else if (typeof network === 'number') networkId = Number.isSafeInteger(network) ? String(network) : formatF64(network);
    else throw contentError(ContentErrorCodes.malformed, `${WHAT}: networkId must be a string or number`);
    const namespace = optionalString(field(json, 'namespace'), 'namespace', WHAT);
    const rawMetadata = field(json, 'metadata');
    let metadata: TransactionMetadata | undefined;
    if (rawMetadata !== undefined && rawMetadata !== null) {
      const m = requiredObject(rawMetadata, 'metadata', WHAT);
      metadata = {
        transactionType: requiredString(m, 'transactionType', WHAT),
        currency: requiredString(m, 'currency', WHAT),
        amount: requiredNumber(m, 'amount', WHAT),
        decimals: requiredU32(m, 'decimals', WHAT),
        fromAddress: requiredString(m, 'fromAddress', WHAT),
        toAddress: requiredString(m, 'toAddress', WHAT),
      };
    }
    return {
      ...(namespace === undefined ? {} : { namespace }),
      networkId,
      reference: requiredString(json, 'reference', WHAT),
      ...(metadata === undefined ? {} : { metadata }),
    };
  },
  fallback: (tx) =>
    tx.reference === ''
      ? 'Crypto transaction'
      : `[Crypto transaction] Use a blockchain explorer to learn more using the transaction hash: ${tx.reference}`,
  shouldPush: () => true,
};
