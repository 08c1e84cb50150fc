import { describe, expect, test } from 'vitest';
import { formatRfc3339Millis, parseRfc3339Ns } from './rfc3339.js';

describe('RFC 3339 times', () => {
  test('default: the actions fixture time round-trips', () => {
    expect(parseRfc3339Ns('2030-03-17T17:46:40.000Z')).toBe(1_900_000_000_000_000_000n);
    expect(formatRfc3339Millis(1_900_000_000_000_000_000n)).toBe('2030-03-17T17:46:40.000Z');
  });

  test('behavior: offsets, nanosecond fractions, lowercase and space separators are read as chrono reads them', () => {
    expect(parseRfc3339Ns('2030-03-17T19:46:40.123456789+02:00')).toBe(1_900_000_000_123_456_789n);
    expect(parseRfc3339Ns('2030-03-17t17:46:40z')).toBe(1_900_000_000_000_000_000n);
    expect(parseRfc3339Ns('2030-03-17 17:46:40.5Z')).toBe(1_900_000_000_500_000_000n);
    expect(parseRfc3339Ns('1969-12-31T23:59:59.999Z')).toBe(-1_000_000n);
  });

  test('behavior: writing drops sub-millisecond digits (floor), as %.3f', () => {
    expect(formatRfc3339Millis(1_900_000_000_123_999_999n)).toBe('2030-03-17T17:46:40.123Z');
    expect(formatRfc3339Millis(-1n)).toBe('1969-12-31T23:59:59.999Z');
  });

  test.each(['2030-03-17', '2030-02-30T00:00:00Z', '2030-03-17T24:00:00Z', '2030-03-17T17:46:40', 'yesterday', '2030-03-17T17:46:40+2:00'])(
    'error: %j is not RFC 3339',
    (text) => {
      expect(parseRfc3339Ns(text)).toBeUndefined();
    },
  );

  test('error: years beyond 9999 cannot be written', () => {
    expect(formatRfc3339Millis(10n ** 30n)).toBeUndefined();
  });
});
