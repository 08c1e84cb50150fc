import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { createEncodedContent, encodedContentToBytes } from './encoded-content.js';
import { ContentTypeWalletSendCalls, type WalletSendCalls, walletSendCallsCodec } from './wallet-send-calls-codec.js';

const json = (value: unknown) => createEncodedContent({ type: ContentTypeWalletSendCalls, content: new TextEncoder().encode(JSON.stringify(value)) });

describe('walletSendCallsCodec', () => {
  test("default: libxmtp's exact bytes and fallback", () => {
    const sent = libxmtpSentMessage('wallet-send-calls');
    const ours = walletSendCallsCodec.encode(sent.sdk.content as WalletSendCalls);
    expect(encodedContentToBytes(ours)).toEqual(fromHex(sent.encodedContent));
    expect(ours.fallback).toBe(sent.sdk.fallback);
    expect(walletSendCallsCodec.shouldPush(sent.sdk.content as WalletSendCalls)).toBe(true);
  });

  test('behavior: metadata writes description and transactionType first, then the extra string fields', () => {
    const calls: WalletSendCalls = {
      version: '1.0',
      chainId: '0x1',
      from: '0xabc',
      calls: [{ metadata: { extra: 'x', transactionType: 'swap', description: 'Swap' } }],
    };
    const text = new TextDecoder().decode(walletSendCallsCodec.encode(calls).content);
    expect(text).toBe('{"version":"1.0","chainId":"0x1","from":"0xabc","calls":[{"metadata":{"description":"Swap","transactionType":"swap","extra":"x"}}]}');
    expect(walletSendCallsCodec.decode(walletSendCallsCodec.encode(calls))).toEqual(calls);
  });

  test.each([
    ['missing calls', { version: '1.0', chainId: '0x1', from: '0x' }],
    ['a call that is not an object', { version: '1.0', chainId: '0x1', from: '0x', calls: ['0x'] }],
    ['metadata without description', { version: '1.0', chainId: '0x1', from: '0x', calls: [{ metadata: { transactionType: 't' } }] }],
    ['a non-string metadata field', { version: '1.0', chainId: '0x1', from: '0x', calls: [{ metadata: { description: 'd', transactionType: 't', n: 1 } }] }],
    ['a non-string capability', { version: '1.0', chainId: '0x1', from: '0x', calls: [], capabilities: { a: {} } }],
    ['a numeric chainId', { version: '1.0', chainId: 1, from: '0x', calls: [] }],
  ])('error: %s', (_why, value) => {
    expect(errorCode(() => walletSendCallsCodec.decode(json(value)))).toBe(ContentErrorCodes.malformed);
  });
});
