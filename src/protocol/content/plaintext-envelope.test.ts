import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { PlaintextEnvelopeSchema } from '../../gen/mls/message_contents/content_pb.js';
import { errorCode } from '../test-support/content-errors.js';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { ContentErrorCodes } from './content-errors.js';
import { decodePlaintextEnvelope, encodePlaintextEnvelope, idempotencyKeyFor } from './plaintext-envelope.js';

describe('plaintext envelopes', () => {
  test("default: V1 exactly as libxmtp 1.10 sends it", () => {
    const sent = libxmtpSentMessage('text');
    expect(encodePlaintextEnvelope({ content: fromHex(sent.encodedContent), idempotencyKey: idempotencyKeyFor(BigInt(sent.idempotencyKey)) })).toEqual(
      fromHex(sent.plaintextEnvelope),
    );
    expect(decodePlaintextEnvelope(fromHex(sent.plaintextEnvelope))).toEqual({
      kind: 'content',
      version: 1,
      content: fromHex(sent.encodedContent),
      idempotencyKey: sent.idempotencyKey,
    });
  });

  test('behavior: V2 content is read', () => {
    const bytes = toBinary(
      PlaintextEnvelopeSchema,
      create(PlaintextEnvelopeSchema, { content: { case: 'v2', value: { idempotencyKey: 'k', messageType: { case: 'content', value: new Uint8Array([1, 2]) } } } }),
    );
    expect(decodePlaintextEnvelope(bytes)).toEqual({ kind: 'content', version: 2, content: new Uint8Array([1, 2]), idempotencyKey: 'k' });
  });

  test('behavior: V2 device-sync payloads are returned, not refused', () => {
    const bytes = toBinary(
      PlaintextEnvelopeSchema,
      create(PlaintextEnvelopeSchema, {
        content: { case: 'v2', value: { idempotencyKey: 'k', messageType: { case: 'deviceSyncRequest', value: { pinCode: '1234' } } } },
      }),
    );
    const decoded = decodePlaintextEnvelope(bytes);
    expect(decoded.kind).toBe('deviceSync');
    expect(decoded.kind === 'deviceSync' && decoded.message.case).toBe('deviceSyncRequest');
  });

  test('error: not a protobuf, an empty envelope, a V2 with no payload', () => {
    expect(errorCode(() => decodePlaintextEnvelope(new Uint8Array([0x0a, 0xff])))).toBe(ContentErrorCodes.invalidEnvelope);
    expect(errorCode(() => decodePlaintextEnvelope(new Uint8Array(0)))).toBe(ContentErrorCodes.invalidEnvelope);
    const emptyV2 = toBinary(PlaintextEnvelopeSchema, create(PlaintextEnvelopeSchema, { content: { case: 'v2', value: { idempotencyKey: 'k' } } }));
    expect(errorCode(() => decodePlaintextEnvelope(emptyV2))).toBe(ContentErrorCodes.invalidEnvelope);
  });
});
