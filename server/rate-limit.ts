/**
 * Per-client write rate limit, a sliding window as the network publishes it (3,000 writes per
 * 5 minutes per client by default). Node only. A "client" is the peer address of the connection.
 */

export interface RateLimitOptions {
  readonly writes: number;
  readonly windowMs: number;
}

export const NETWORK_WRITE_LIMIT: RateLimitOptions = { writes: 3000, windowMs: 5 * 60 * 1000 };

export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #now: () => number;
  readonly #hits = new Map<string, number[]>();

  constructor(options: RateLimitOptions, now: () => number = Date.now) {
    if (!(options.writes > 0) || !(options.windowMs > 0)) throw new RangeError('rate limit needs writes > 0 and windowMs > 0');
    this.#options = options;
    this.#now = now;
  }

  /** Records one write; false when the client is over its limit (the write is then not counted). */
  take(client: string): boolean {
    const now = this.#now();
    const from = now - this.#options.windowMs;
    const hits = (this.#hits.get(client) ?? []).filter((t) => t > from);
    if (hits.length >= this.#options.writes) {
      this.#hits.set(client, hits);
      return false;
    }
    hits.push(now);
    this.#hits.set(client, hits);
    return true;
  }

  /** Milliseconds until the client may write again (0 if it may now). */
  retryAfterMs(client: string): number {
    const hits = this.#hits.get(client) ?? [];
    if (hits.length < this.#options.writes) return 0;
    return Math.max(0, hits[hits.length - this.#options.writes]! + this.#options.windowMs - this.#now());
  }
}
