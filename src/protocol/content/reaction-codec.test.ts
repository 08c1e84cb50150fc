import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { createEncodedContent, encodedContentToBytes } from './encoded-content.js';
import { type Reaction, ReactionAction, reactionCodec, ReactionSchema } from './reaction-codec.js';
import { ContentTypeReactionV1, reactionV1Codec } from './reaction-v1-codec.js';

const reaction: Reaction = {
  reference: 'e616a28f9a0765b410a70aac5c19576a0e15041fa50b89a4ac59de0cef3821a5',
  referenceInboxId: '1f25de476c59279fff6ebf48255a09d1c6b59db2ac659ebf1342031f8a772c8c',
  action: ReactionAction.ADDED,
  content: '👍',
  schema: ReactionSchema.UNICODE,
};

const json = (value: unknown) => createEncodedContent({ type: ContentTypeReactionV1, content: new TextEncoder().encode(JSON.stringify(value)) });

describe('reactionCodec (v2)', () => {
  test("default: encodes libxmtp's bytes, fallback and push flag", () => {
    expect(encodedContentToBytes(reactionCodec.encode(reaction))).toEqual(fromHex(libxmtpSentMessage('reaction-added').encodedContent));
    expect(reactionCodec.decode(reactionCodec.encode(reaction))).toEqual(reaction);
    expect(reactionCodec.fallback(reaction)).toBe('Reacted with "👍" to an earlier message');
  });

  test('behavior: removal has its own fallback; libxmtp 1.10 never pushes reactions', () => {
    const removed = { ...reaction, action: ReactionAction.REMOVED };
    expect(reactionCodec.fallback(removed)).toBe('Removed "👍" from an earlier message');
    expect(reactionCodec.shouldPush(reaction)).toBe(false);
    expect(reactionCodec.shouldPush(removed)).toBe(false);
  });

  test('error: content that is not a ReactionV2 protobuf', () => {
    const encoded = { ...reactionCodec.encode(reaction), content: new Uint8Array([0x0a, 0xff]) };
    expect(errorCode(() => reactionCodec.decode(encoded))).toBe(ContentErrorCodes.malformed);
  });

  test('error: a v1 reaction handed to the v2 codec', () => {
    expect(errorCode(() => reactionCodec.decode(reactionV1Codec.encode(reaction)))).toBe(ContentErrorCodes.typeMismatch);
  });
});

describe('reactionV1Codec (legacy JSON)', () => {
  test('default: reads the legacy JSON into the v2 shape', () => {
    const decoded = reactionV1Codec.decode(
      json({ action: 'removed', reference: reaction.reference, referenceInboxId: reaction.referenceInboxId, schema: 'shortcode', content: ':smile:' }),
    );
    expect(decoded).toEqual({ ...reaction, action: ReactionAction.REMOVED, schema: ReactionSchema.SHORTCODE, content: ':smile:' });
    expect(reactionV1Codec.fallback(decoded)).toBe('Removed ":smile:" from an earlier message');
    expect(reactionV1Codec.shouldPush(decoded)).toBe(false);
  });

  test('behavior: writes the JSON fields in libxmtp\'s order and omits an empty referenceInboxId', () => {
    const text = (r: Reaction) => new TextDecoder().decode(reactionV1Codec.encode(r).content);
    expect(text(reaction)).toBe(
      `{"action":"added","reference":"${reaction.reference}","referenceInboxId":"${reaction.referenceInboxId}","schema":"unicode","content":"👍"}`,
    );
    expect(text({ ...reaction, referenceInboxId: '' })).not.toContain('referenceInboxId');
  });

  test('behavior: unknown action or schema strings read as UNSPECIFIED, as libxmtp', () => {
    const decoded = reactionV1Codec.decode(json({ action: 'waved', reference: 'r', schema: 'sticker', content: 'x', extra: 1 }));
    expect(decoded.action).toBe(ReactionAction.UNSPECIFIED);
    expect(decoded.schema).toBe(ReactionSchema.UNSPECIFIED);
    expect(decoded.referenceInboxId).toBe('');
  });

  test('error: malformed JSON, a missing field, a field of the wrong type', () => {
    const bad = createEncodedContent({ type: ContentTypeReactionV1, content: new TextEncoder().encode('{"action":') });
    expect(errorCode(() => reactionV1Codec.decode(bad))).toBe(ContentErrorCodes.malformed);
    expect(errorCode(() => reactionV1Codec.decode(json({ action: 'added', reference: 'r', schema: 'unicode' })))).toBe(ContentErrorCodes.malformed);
    expect(errorCode(() => reactionV1Codec.decode(json({ action: 1, reference: 'r', schema: 'unicode', content: 'x' })))).toBe(ContentErrorCodes.malformed);
    expect(errorCode(() => reactionV1Codec.decode(json(['added'])))).toBe(ContentErrorCodes.malformed);
  });

  test('error: a v1 reaction cannot carry UNSPECIFIED', () => {
    expect(errorCode(() => reactionV1Codec.encode({ ...reaction, action: ReactionAction.UNSPECIFIED }))).toBe(ContentErrorCodes.invalidContent);
  });
});
