import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { createEncodedContent, encodedContentToBytes } from './encoded-content.js';
import { ContentTypeTransactionReference, type TransactionReference, transactionReferenceCodec } from './transaction-reference-codec.js';

const json = (text: string) => createEncodedContent({ type: ContentTypeTransactionReference, content: new TextEncoder().encode(text) });
const text = (tx: TransactionReference) => new TextDecoder().decode(transactionReferenceCodec.encode(tx).content);

describe('transactionReferenceCodec', () => {
  test("default: libxmtp's exact bytes, with and without metadata", () => {
    for (const label of ['transaction-reference', 'transaction-reference-minimal']) {
      const sent = libxmtpSentMessage(label);
      expect(encodedContentToBytes(transactionReferenceCodec.encode(sent.sdk.content as TransactionReference))).toEqual(fromHex(sent.encodedContent));
    }
  });

  test('behavior: the amount is an f64 as serde writes it; networkId may arrive as a number', () => {
    const metadata = { transactionType: 't', currency: 'ETH', amount: 12, decimals: 18, fromAddress: 'a', toAddress: 'b' };
    expect(text({ networkId: '1', reference: '0x1', metadata })).toContain('"amount":12.0,');
    const decoded = transactionReferenceCodec.decode(json('{"networkId":8453,"reference":"0x1","namespace":null,"metadata":null}'));
    expect(decoded).toEqual({ networkId: '8453', reference: '0x1' });
  });

  test('behavior: an empty reference has the short fallback; pushes', () => {
    expect(transactionReferenceCodec.fallback({ networkId: '1', reference: '' })).toBe('Crypto transaction');
    expect(transactionReferenceCodec.shouldPush({ networkId: '1', reference: '' })).toBe(true);
  });

  test.each([
    ['not JSON', '{"networkId":'],
    ['missing reference', '{"networkId":"1"}'],
    ['networkId of the wrong type', '{"networkId":true,"reference":"0x"}'],
    ['incomplete metadata', '{"networkId":"1","reference":"0x","metadata":{"currency":"USDC"}}'],
    ['non-integer decimals', '{"networkId":"1","reference":"0x","metadata":{"transactionType":"t","currency":"c","amount":1,"decimals":1.5,"fromAddress":"a","toAddress":"b"}}'],
    ['a JSON array', '[]'],
  ])('error: %s', (_why, body) => {
    expect(errorCode(() => transactionReferenceCodec.decode(json(body)))).toBe(ContentErrorCodes.malformed);
  });
});
