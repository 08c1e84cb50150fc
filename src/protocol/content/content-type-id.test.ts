import { describe, expect, test } from 'vitest';
import { errorCode } from '../test-support/content-errors.js';
import { ContentErrorCodes } from './content-errors.js';
import { contentTypeId, contentTypeKey, formatContentTypeId, isSameContentType, parseContentTypeId } from './content-type-id.js';

describe('content type ids', () => {
  test('default: format and parse are inverse, as libxmtp writes the reply contentType parameter', () => {
    const id = parseContentTypeId('xmtp.org/text:1.0');
    expect({ ...id, $typeName: undefined }).toEqual({ $typeName: undefined, authorityId: 'xmtp.org', typeId: 'text', versionMajor: 1, versionMinor: 0 });
    expect(formatContentTypeId(id)).toBe('xmtp.org/text:1.0');
  });

  test('behavior: a type id may contain "/" and ":" (device sync)', () => {
    const id = parseContentTypeId('xmtp.org/application/x-protobuf:1.0');
    expect(id.authorityId).toBe('xmtp.org');
    expect(id.typeId).toBe('application/x-protobuf');
    expect(formatContentTypeId(parseContentTypeId('a/b:c:12.34'))).toBe('a/b:c:12.34');
  });

  test('behavior: equality is authority + type + major; the minor version is ignored', () => {
    const a = contentTypeId({ authorityId: 'xmtp.org', typeId: 'reaction', versionMajor: 2, versionMinor: 0 });
    expect(isSameContentType(a, parseContentTypeId('xmtp.org/reaction:2.7'))).toBe(true);
    expect(isSameContentType(a, parseContentTypeId('xmtp.org/reaction:1.0'))).toBe(false);
    expect(isSameContentType(a, parseContentTypeId('other.org/reaction:2.0'))).toBe(false);
    expect(contentTypeKey(a)).toBe('xmtp.org/reaction:2');
  });

  test.each(['', 'text', 'xmtp.org/text', 'xmtp.org/text:1', 'xmtp.org/:1.0', 'xmtp.org/text:a.b', 'xmtp.org/text:1.0 ', 'xmtp.org/text:99999999999.0'])(
    'error: %j is not a content type',
    (text) => {
      expect(errorCode(() => parseContentTypeId(text))).toBe(ContentErrorCodes.invalidContentType);
    },
  );

  test('error: versions must be u32', () => {
    expect(errorCode(() => contentTypeId({ authorityId: 'a', typeId: 't', versionMajor: -1, versionMinor: 0 }))).toBe(ContentErrorCodes.invalidContentType);
    expect(errorCode(() => contentTypeId({ authorityId: 'a', typeId: 't', versionMajor: 1, versionMinor: 1.5 }))).toBe(ContentErrorCodes.invalidContentType);
  });
});
