import { describe, expect, test } from 'vitest';
import { NETWORK_WRITE_LIMIT, RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  test("default: the network's published limit is 3,000 writes per 5 minutes", () => {
    expect(NETWORK_WRITE_LIMIT).toEqual({ writes: 3000, windowMs: 300_000 });
  });

  test('behavior: refuses writes over the limit per client, and frees them as the window slides', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ writes: 3, windowMs: 1000 }, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    expect(limiter.take('b')).toBe(true); // other clients are not affected
    expect(limiter.retryAfterMs('a')).toBe(1000);
    now += 1001;
    expect(limiter.take('a')).toBe(true);
    expect(limiter.retryAfterMs('a')).toBe(0);
  });

  test('error: a limit without writes or window', () => {
    expect(() => new RateLimiter({ writes: 0, windowMs: 1 })).toThrow(RangeError);
    expect(() => new RateLimiter({ writes: 1, windowMs: 0 })).toThrow(RangeError);
  });
});
