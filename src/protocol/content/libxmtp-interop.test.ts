// The content layer against real libxmtp 1.10 bytes (proto/fixtures/libxmtp-1.10.json): every
// EncodedContent node-sdk 6.0.0 sent or synthesised decodes to what the SDK reported, gets
// libxmtp's message id and push flag, and re-encodes to libxmtp's bytes (parameter maps compared
// as maps: libxmtp writes them in hash order).
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { EncodedContentSchema } from '../../gen/mls/message_contents/content_pb.js';
import {
  fromHex,
  libxmtpContentFixture,
  type LibxmtpSentMessage,
  libxmtpSentMessage,
} from '../test-support/libxmtp-content-fixtures.js';
import type { Actions } from './actions-codec.js';
import type { Attachment } from './attachment-codec.js';
import { openAttachmentPayload } from './attachment-cipher.js';
import { hex } from './content-fields.js';
import { formatContentTypeId } from './content-type-id.js';
import { decodeContent, type KnownContent } from './decode-content.js';
import { decryptAttachment } from './decrypt-attachment.js';
import { createDefaultContentRegistry } from './default-codecs.js';
import { encodedContentFromBytes, encodedContentToBytes } from './encoded-content.js';
import { encryptAttachment, toRemoteAttachment } from './encrypt-attachment.js';
import type { GroupUpdated } from './group-updated-codec.js';
import { groupUpdatedMessageId, messageId, welcomeAddedMessageId } from './message-id.js';
import type { MultiRemoteAttachment } from './multi-remote-attachment-codec.js';
import { decodePlaintextEnvelope, encodePlaintextEnvelope } from './plaintext-envelope.js';
import type { RemoteAttachment } from './remote-attachment-codec.js';
import type { Reply } from './reply-codec.js';

const registry = createDefaultContentRegistry();
const fixture = libxmtpContentFixture();

/**
 * Content types whose encoding is deterministic, so ours must equal libxmtp's byte for byte. The
 * others carry parameter maps (reply, attachment, remote attachment) or a HashMap inside their JSON
 * (intent metadata) that libxmtp writes in random order; they are compared as decoded maps.
 * Wallet send calls are deterministic only while `capabilities` and each call's extra metadata
 * hold at most one entry, which is the case in the fixture.
 */
const BYTE_IDENTICAL = new Set([
  'xmtp.org/text:1.0',
  'xmtp.org/markdown:1.0',
  'xmtp.org/reaction:2.0',
  'xmtp.org/readReceipt:1.0',
  'xmtp.org/multiRemoteStaticAttachment:1.0',
  'xmtp.org/transactionReference:1.0',
  'xmtp.org/walletSendCalls:1.0',
  'coinbase.com/actions:1.0',
  'xmtp.org/leave_request:1.0',
  'xmtp.org/deleteMessage:1.0',
  'xmtp.org/group_updated:1.0',
]);
const MAP_BEARING = new Set([
  'xmtp.org/reply:1.0',
  'xmtp.org/attachment:1.0',
  'xmtp.org/remoteStaticAttachment:1.0',
  'coinbase.com/intent:1.0',
]);

/** EncodedContent bytes with the parameter map in key order, and JSON content with sorted keys: equal iff equal up to map order. */
function canonical(bytes: Uint8Array): Uint8Array {
  const e = encodedContentFromBytes(bytes);
  const parameters = Object.fromEntries(Object.entries(e.parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  let content = e.content;
  if (e.type?.typeId === 'intent') {
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort().map(([k, x]) => [k, sortKeys(x)])) : v;
    content = new TextEncoder().encode(JSON.stringify(sortKeys(JSON.parse(new TextDecoder().decode(content)))));
  }
  return toBinary(EncodedContentSchema, create(EncodedContentSchema, { ...e, parameters, content }));
}

const remoteView = (a: RemoteAttachment) => ({
  url: a.url,
  contentDigest: a.contentDigest,
  secret: hex(a.secret),
  salt: hex(a.salt),
  nonce: hex(a.nonce),
  scheme: a.scheme,
  ...(a.contentLength === undefined ? {} : { contentLength: a.contentLength }),
  ...(a.filename === undefined ? {} : { filename: a.filename }),
});

const STYLE_NUMBERS = { primary: 0, secondary: 1, danger: 2 } as const;

/** Our decoded value in node-sdk 6.0.0's shape (its enum numbers, hex bytes, ns as decimal strings). */
async function sdkView(decoded: KnownContent): Promise<unknown> {
  const value = decoded.content;
  switch (decoded.contentType.typeId) {
    case 'reply': {
      const reply = value as Reply;
      const inner = await decodeContent(registry, reply.content);
      if (inner.kind !== 'content') throw new Error('reply with unknown inner content');
      return { referenceId: reply.reference, content: await sdkView(inner), contentType: formatContentTypeId(reply.content.type!) };
    }
    case 'attachment': {
      const a = value as Attachment;
      return { mimeType: a.mimeType, content: hex(a.content), ...(a.filename === undefined ? {} : { filename: a.filename }) };
    }
    case 'remoteStaticAttachment':
      return remoteView(value as RemoteAttachment);
    case 'multiRemoteStaticAttachment':
      return { attachments: (value as MultiRemoteAttachment).attachments.map(remoteView) };
    case 'actions': {
      const a = value as Actions;
      return {
        id: a.id,
        description: a.description,
        actions: a.actions.map(({ style, expiresAtNs, ...rest }) => ({
          ...rest,
          ...(style === undefined ? {} : { style: STYLE_NUMBERS[style] }),
          ...(expiresAtNs === undefined ? {} : { expiresAtNs: expiresAtNs.toString() }),
        })),
        ...(a.expiresAtNs === undefined ? {} : { expiresAtNs: a.expiresAtNs.toString() }),
      };
    }
    case 'group_updated': {
      const g = value as GroupUpdated;
      const inboxes = (ids: readonly string[]) => ids.map((inboxId) => ({ inboxId }));
      return {
        initiatedByInboxId: g.initiatedByInboxId,
        addedInboxes: inboxes(g.addedInboxes),
        removedInboxes: inboxes(g.removedInboxes),
        leftInboxes: inboxes(g.leftInboxes),
        metadataFieldChanges: g.metadataFieldChanges,
        addedAdminInboxes: inboxes(g.addedAdminInboxes),
        removedAdminInboxes: inboxes(g.removedAdminInboxes),
        addedSuperAdminInboxes: inboxes(g.addedSuperAdminInboxes),
        removedSuperAdminInboxes: inboxes(g.removedSuperAdminInboxes),
      };
    }
    default:
      return value;
  }
}

/** The SDK's content with the fields it adds from its own database (not part of the message) removed. */
function sdkContent(m: LibxmtpSentMessage): unknown {
  const content = m.sdk.content;
  if (m.contentType === 'xmtp.org/reply:1.0') {
    const { inReplyTo: _inReplyTo, ...rest } = content as Record<string, unknown>;
    return rest;
  }
  return content;
}

async function decodeKnown(bytes: Uint8Array): Promise<KnownContent> {
  const decoded = await decodeContent(registry, bytes);
  if (decoded.kind !== 'content') throw new Error(`not decoded: ${decoded.contentType ? formatContentTypeId(decoded.contentType) : '?'}`);
  return decoded;
}

describe('libxmtp 1.10 sent messages', () => {
  test('default: the fixture covers every content type node-sdk 6.0.0 can send', () => {
    const types = new Set(fixture.messages.map((m) => m.contentType));
    expect([...types].sort()).toEqual([...BYTE_IDENTICAL, ...MAP_BEARING].filter((t) => t !== 'xmtp.org/group_updated:1.0').sort());
  });

  test.each(fixture.messages.map((m) => [m.label, m] as const))('behavior: %s decodes to what the SDK reported', async (_label, m) => {
    const decoded = await decodeKnown(fromHex(m.encodedContent));
    expect(formatContentTypeId(decoded.contentType)).toBe(m.contentType);
    expect(decoded.fallback ?? null).toBe(m.sdk.fallback);
    if (m.contentType === 'xmtp.org/deleteMessage:1.0') {
      // node-sdk 6.0.0 shows a deletion with no content; what it deleted is in its message_deletions table.
      expect(m.sdk.content).toBeNull();
      expect(decoded.content).toEqual({ messageId: fixture.extra.deleteMessage.targetMessageId });
    } else {
      expect(await sdkView(decoded)).toEqual(sdkContent(m));
    }
  });

  test.each(fixture.messages.map((m) => [m.label, m] as const))("behavior: %s has libxmtp's message id, envelope and push flag", async (_label, m) => {
    const bytes = fromHex(m.encodedContent);
    const envelope = decodePlaintextEnvelope(fromHex(m.plaintextEnvelope));
    expect(envelope).toEqual({ kind: 'content', version: 1, content: bytes, idempotencyKey: m.idempotencyKey });
    expect(encodePlaintextEnvelope({ content: bytes, idempotencyKey: m.idempotencyKey })).toEqual(fromHex(m.plaintextEnvelope));
    expect(messageId(fromHex(m.conversationId), envelope.kind === 'content' ? envelope.idempotencyKey : '', bytes)).toBe(m.messageId);
    const decoded = await decodeKnown(bytes);
    expect(decoded.codec.shouldPush(decoded.content)).toBe(m.wire.shouldPush);
    expect(decoded.codec.fallback(decoded.content) ?? null).toBe(m.sdk.fallback);
  });

  test.each(fixture.messages.map((m) => [m.label, m] as const))("behavior: %s re-encodes to libxmtp's EncodedContent", async (_label, m) => {
    const theirs = fromHex(m.encodedContent);
    const decoded = await decodeKnown(theirs);
    const ours = encodedContentToBytes(decoded.codec.encode(decoded.content));
    if (BYTE_IDENTICAL.has(m.contentType)) expect(hex(ours)).toBe(hex(theirs));
    else {
      expect(MAP_BEARING.has(m.contentType)).toBe(true);
      expect(hex(canonical(ours))).toBe(hex(canonical(theirs)));
    }
  });

  test("behavior: a reply's inner content is libxmtp's text EncodedContent, and it names the replied-to sender", async () => {
    const reply = (await decodeKnown(fromHex(libxmtpSentMessage('reply').encodedContent))).content as Reply;
    expect(reply.reference).toBe(libxmtpSentMessage('text').messageId);
    expect(reply.referenceInboxId).toBe(fixture.identities.alice!.inboxId);
    const plain = (await decodeKnown(fromHex(libxmtpSentMessage('reply-markdown').encodedContent))).content as Reply;
    expect(plain.referenceInboxId).toBeUndefined();
  });
});

describe('libxmtp 1.10 remote attachment', () => {
  const extra = fixture.extra.remoteAttachment;
  const expected: Attachment = { filename: extra.attachment.filename, mimeType: extra.attachment.mimeType, content: fromHex(extra.attachment.content) };

  test("default: libxmtp's encrypted payload decrypts with the message's key material to the SDK's attachment", async () => {
    const remote = (await decodeKnown(fromHex(libxmtpSentMessage('remote-attachment').encodedContent))).content as RemoteAttachment;
    const payload = fromHex(extra.encryptedPayload);
    expect(remote.contentLength).toBe(payload.length);
    expect(decryptAttachment(payload, remote)).toEqual(expected);
    const inline = (await decodeKnown(fromHex(libxmtpSentMessage('attachment').encodedContent))).content;
    expect(decryptAttachment(payload, remote)).toEqual(inline);
  });

  test('behavior: our encryption with the same key material opens to the same attachment, and matches libxmtp when its parameter order is ours', () => {
    const keys = [fromHex(extra.secret), fromHex(extra.salt), fromHex(extra.nonce)];
    const encrypted = encryptAttachment(expected, { randomBytes: () => keys.shift()! });
    expect(hex(encrypted.secret)).toBe(extra.secret);
    expect(encrypted.contentLength).toBe(extra.contentLength);
    const remote = toRemoteAttachment(encrypted, 'https://example.com/attachments/hello.bin');
    expect(decryptAttachment(encrypted.payload, remote)).toEqual(expected);
    // The plaintext is an attachment EncodedContent whose two parameters libxmtp wrote in hash
    // order; when that order is ours (as in the committed fixture) the ciphertext is libxmtp's byte
    // for byte, otherwise only the parameter order differs.
    const theirPlain = openAttachmentPayload(fromHex(extra.encryptedPayload), remote);
    const ourPlain = openAttachmentPayload(encrypted.payload, remote);
    if (Object.keys(encodedContentFromBytes(theirPlain).parameters).join() === 'mimeType,filename') {
      expect(hex(encrypted.payload)).toBe(extra.encryptedPayload);
      expect(encrypted.contentDigest).toBe(extra.contentDigest);
    } else {
      expect(hex(canonical(ourPlain))).toBe(hex(canonical(theirPlain)));
    }
  });
});

describe('libxmtp 1.10 transcript messages (GroupUpdated, synthesised locally)', () => {
  test.each(fixture.transcriptMessages.map((t, i) => [`${t.conversation}#${i} (${t.storedBy})`, t] as const))(
    'behavior: %s decodes, re-encodes byte for byte and has libxmtp\'s id',
    async (_label, t) => {
      const bytes = fromHex(t.encodedContent);
      const decoded = await decodeKnown(bytes);
      expect(formatContentTypeId(decoded.contentType)).toBe('xmtp.org/group_updated:1.0');
      expect(await sdkView(decoded)).toEqual(t.sdk.content);
      expect(decoded.fallback).toBeUndefined();
      expect(decoded.codec.shouldPush(decoded.content)).toBe(false);
      expect(hex(encodedContentToBytes(decoded.codec.encode(decoded.content)))).toBe(t.encodedContent);
      // The joiner's "added" entry comes from the welcome (added = itself, sent_at = the welcome's
      // created_ns) and is keyed differently from commit entries.
      const fromWelcome = t.storedBy !== 'alice' && (decoded.content as GroupUpdated).addedInboxes.includes(fixture.identities[t.storedBy]!.inboxId);
      const id = fromWelcome ? welcomeAddedMessageId : groupUpdatedMessageId;
      expect(id(fromHex(t.conversationId), BigInt(t.sentAtNs), bytes)).toBe(t.messageId);
    },
  );

  test("behavior: a joiner's welcome entry is keyed by chrono's rendering of the welcome time", () => {
    const fromWelcome = fixture.transcriptMessages.filter((t) => t.storedBy === 'bob' && t.sdk.content && (t.sdk.content as { addedInboxes: { inboxId: string }[] }).addedInboxes.some((i) => i.inboxId === fixture.identities.bob!.inboxId));
    expect(fromWelcome.map((t) => t.conversation)).toEqual(['group-default', 'dm']);
    for (const t of fromWelcome) {
      expect(groupUpdatedMessageId(fromHex(t.conversationId), BigInt(t.sentAtNs), fromHex(t.encodedContent))).not.toBe(t.messageId);
    }
  });
});
