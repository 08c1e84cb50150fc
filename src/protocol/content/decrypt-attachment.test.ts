import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpContentFixture, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { type Attachment } from './attachment-codec.js';
import { sealAttachmentPayload } from './attachment-cipher.js';
import { ContentErrorCodes } from './content-errors.js';
import { hex } from './content-fields.js';
import { decryptAttachment } from './decrypt-attachment.js';
import { encodedContentFromBytes, encodedContentToBytes } from './encoded-content.js';
import { encryptAttachment, toRemoteAttachment } from './encrypt-attachment.js';
import { remoteAttachmentCodec } from './remote-attachment-codec.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { textCodec } from './text-codec.js';

const attachment: Attachment = { filename: 'photo.jpg', mimeType: 'image/jpeg', content: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) };

function libxmtpRemote() {
  return {
    payload: fromHex(libxmtpContentFixture().extra.remoteAttachment.encryptedPayload),
    remote: remoteAttachmentCodec.decode(encodedContentFromBytes(fromHex(libxmtpSentMessage('remote-attachment').encodedContent))),
  };
}

describe('encryptAttachment / decryptAttachment', () => {
  test('default: a round trip through the remote attachment codec', () => {
    const encrypted = encryptAttachment(attachment);
    expect(encrypted.secret).toHaveLength(32);
    expect(encrypted.salt).toHaveLength(32);
    expect(encrypted.nonce).toHaveLength(12);
    expect(encrypted.contentLength).toBe(encrypted.payload.length);
    expect(encrypted.contentDigest).toBe(hex(sha256(encrypted.payload)));
    const sent = remoteAttachmentCodec.encode(toRemoteAttachment(encrypted, 'https://files.example/p'));
    const received = remoteAttachmentCodec.decode(encodedContentFromBytes(encodedContentToBytes(sent)));
    expect(decryptAttachment(encrypted.payload, received)).toEqual(attachment);
  });

  test('behavior: every encryption uses fresh key material', () => {
    const a = encryptAttachment(attachment);
    const b = encryptAttachment(attachment);
    expect(hex(a.secret)).not.toBe(hex(b.secret));
    expect(hex(a.payload)).not.toBe(hex(b.payload));
  });

  test("behavior: libxmtp's payload opens", () => {
    const { payload, remote } = libxmtpRemote();
    expect(decryptAttachment(payload, remote).filename).toBe('hello.txt');
  });

  test('error: a tampered payload fails the digest check', () => {
    const { payload, remote } = libxmtpRemote();
    const tampered = payload.slice();
    tampered[10]! ^= 1;
    expect(errorCode(() => decryptAttachment(tampered, remote))).toBe(ContentErrorCodes.digestMismatch);
  });

  test('error: a tampered payload with a matching digest fails authentication', () => {
    const { payload, remote } = libxmtpRemote();
    const tampered = payload.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(errorCode(() => decryptAttachment(tampered, { ...remote, contentDigest: hex(sha256(tampered)) }))).toBe(ContentErrorCodes.decryptionFailed);
  });

  test('error: the wrong secret, salt or nonce', () => {
    const { payload, remote } = libxmtpRemote();
    const flip = (b: Uint8Array) => Uint8Array.from(b, (x, i) => (i === 0 ? x ^ 1 : x));
    expect(errorCode(() => decryptAttachment(payload, { ...remote, secret: flip(remote.secret) }))).toBe(ContentErrorCodes.decryptionFailed);
    expect(errorCode(() => decryptAttachment(payload, { ...remote, salt: flip(remote.salt) }))).toBe(ContentErrorCodes.decryptionFailed);
    expect(errorCode(() => decryptAttachment(payload, { ...remote, nonce: flip(remote.nonce) }))).toBe(ContentErrorCodes.decryptionFailed);
    expect(errorCode(() => decryptAttachment(payload, { ...remote, nonce: new Uint8Array(16) }))).toBe(ContentErrorCodes.decryptionFailed);
  });

  test('error: a payload that decrypts to something other than an attachment', () => {
    const keys = { secret: new Uint8Array(32).fill(1), salt: new Uint8Array(32).fill(2), nonce: new Uint8Array(12).fill(3) };
    const notAttachment = sealAttachmentPayload(encodedContentToBytes(textCodec.encode('hi')), keys);
    const garbage = sealAttachmentPayload(new Uint8Array([0x0a, 0xff]), keys);
    const remote = (payload: Uint8Array) => ({ ...keys, url: 'u', scheme: 'https', contentDigest: hex(sha256(payload)) });
    expect(errorCode(() => decryptAttachment(notAttachment, remote(notAttachment)))).toBe(ContentErrorCodes.typeMismatch);
    expect(errorCode(() => decryptAttachment(garbage, remote(garbage)))).toBe(ContentErrorCodes.malformed);
  });
});
