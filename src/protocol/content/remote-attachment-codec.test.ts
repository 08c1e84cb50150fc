import { describe, expect, test } from 'vitest';
import { fromHex, libxmtpSentMessage } from '../test-support/libxmtp-content-fixtures.js';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { hex } from './content-fields.js';
import { createEncodedContent, encodedContentFromBytes } from './encoded-content.js';
import { ContentTypeRemoteAttachment, type RemoteAttachment, remoteAttachmentCodec } from './remote-attachment-codec.js';

const theirs = () => encodedContentFromBytes(fromHex(libxmtpSentMessage('remote-attachment').encodedContent));

function withParameters(parameters: Record<string, string>) {
  return createEncodedContent({ type: ContentTypeRemoteAttachment, parameters, content: theirs().content });
}

describe('remoteAttachmentCodec', () => {
  test("default: decodes libxmtp's message and re-encodes its parameters, fallback and URL", () => {
    const remote = remoteAttachmentCodec.decode(theirs());
    expect(remote.url).toBe('https://example.com/attachments/hello.bin');
    expect(remote.contentLength).toBe(174);
    expect(hex(remote.nonce)).toHaveLength(24);
    const ours = remoteAttachmentCodec.encode(remote);
    expect(ours.parameters).toEqual(theirs().parameters);
    expect(Object.keys(ours.parameters)).toEqual(['contentDigest', 'salt', 'nonce', 'secret', 'scheme', 'contentLength', 'filename']);
    expect(ours.fallback).toBe("Can't display hello.txt. This app doesn't support remote attachments.");
    expect(ours.content).toEqual(theirs().content);
    expect(remoteAttachmentCodec.shouldPush(remote)).toBe(true);
  });

  test('behavior: contentLength and filename are optional; hex is read in either case', () => {
    const { contentLength: _l, filename: _f, ...parameters } = theirs().parameters;
    const remote = remoteAttachmentCodec.decode(withParameters({ ...parameters, secret: parameters.secret!.toUpperCase() }));
    expect(remote).not.toHaveProperty('contentLength');
    expect(remote).not.toHaveProperty('filename');
    expect(hex(remote.secret)).toBe(parameters.secret);
    expect(remoteAttachmentCodec.fallback(remote)).toBe("Can't display this content. This app doesn't support remote attachments.");
  });

  test.each(['contentDigest', 'salt', 'nonce', 'secret', 'scheme'])('error: missing %s', (key) => {
    const { [key]: _gone, ...parameters } = theirs().parameters;
    expect(errorCode(() => remoteAttachmentCodec.decode(withParameters(parameters)))).toBe(ContentErrorCodes.missingParameter);
  });

  test.each([
    ['salt', 'zz'],
    ['salt', '00'],
    ['nonce', '00'.repeat(16)],
    ['secret', ''],
    ['secret', 'abc'],
    ['contentLength', '-1'],
    ['contentLength', '4294967296'],
    ['contentLength', '1e3'],
  ])('error: %s = %j', (key, value) => {
    expect(errorCode(() => remoteAttachmentCodec.decode(withParameters({ ...theirs().parameters, [key]: value })))).toBe(ContentErrorCodes.invalidParameter);
  });

  test('error: a URL that is not UTF-8', () => {
    const encoded = { ...theirs(), content: new Uint8Array([0xff]) };
    expect(errorCode(() => remoteAttachmentCodec.decode(encoded))).toBe(ContentErrorCodes.malformed);
  });

  test('error: encoding key material of the wrong size', () => {
    const remote: RemoteAttachment = remoteAttachmentCodec.decode(theirs());
    expect(errorCode(() => remoteAttachmentCodec.encode({ ...remote, secret: new Uint8Array(33) }))).toBe(ContentErrorCodes.invalidContent);
    expect(errorCode(() => remoteAttachmentCodec.encode({ ...remote, nonce: new Uint8Array(16) }))).toBe(ContentErrorCodes.invalidContent);
  });
});
