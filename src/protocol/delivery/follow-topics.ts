/**
 * Live streams that survive a broken connection: subscribe from each topic's cursor, and whenever
 * the stream fails or ends, reconnect (with backoff) from the cursors reached so far. The node
 * replays everything after a cursor before going live, so a reconnect is also a sync: nothing is
 * missed, and ids at or below a topic's cursor are dropped, so nothing is delivered twice.
 * Pure; runs everywhere.
 */
import type { GroupMessage, WelcomeMessage } from '../../gen/mls/api/v1/mls_pb.js';
import type { XmtpApi } from './create-xmtp-api.js';
import { envelopeId } from './query-all.js';

export interface FollowOptions {
  readonly signal: AbortSignal;
  /** First retry delay; doubles up to maxDelayMs. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Told about each broken connection before the retry. */
  readonly onReconnect?: (error: unknown, attempt: number) => void;
}

type Topic = Uint8Array;
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Group messages of `groups` after each one's cursor, in id order per group, until `signal` aborts. */
export function followGroupMessages(api: Pick<XmtpApi, 'mls'>, groups: readonly { groupId: Topic; cursor: bigint }[], options: FollowOptions): AsyncGenerator<GroupMessage> {
  return follow(
    groups.map((g) => ({ topic: g.groupId, cursor: g.cursor })),
    (filters, signal) => api.mls.subscribeGroupMessages({ filters: filters.map((f) => ({ groupId: f.topic, idCursor: f.cursor })) }, { signal }),
    (m) => (m.version.case === 'v1' ? hex(m.version.value.groupId) : ''),
    options,
  );
}

/** Welcomes for `installations` after each one's cursor, in id order. */
export function followWelcomeMessages(api: Pick<XmtpApi, 'mls'>, installations: readonly { installationKey: Topic; cursor: bigint }[], options: FollowOptions): AsyncGenerator<WelcomeMessage> {
  return follow(
    installations.map((i) => ({ topic: i.installationKey, cursor: i.cursor })),
    (filters, signal) => api.mls.subscribeWelcomeMessages({ filters: filters.map((f) => ({ installationKey: f.topic, idCursor: f.cursor })) }, { signal }),
    (m) => (m.version.value ? hex(m.version.value.installationKey) : ''),
    options,
  );
}

async function* follow<T extends GroupMessage | WelcomeMessage>(
  topics: readonly { topic: Topic; cursor: bigint }[],
  subscribe: (filters: { topic: Topic; cursor: bigint }[], signal: AbortSignal) => AsyncIterable<T>,
  topicOf: (message: T) => string,
  options: FollowOptions,
): AsyncGenerator<T> {
  const cursors = new Map(topics.map((t) => [hex(t.topic), { topic: t.topic, cursor: t.cursor }]));
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  let attempt = 0;
  while (!options.signal.aborted) {
    const stream = subscribe([...cursors.values()], options.signal)[Symbol.asyncIterator]();
    try {
      for (;;) {
        // Aborting ends the generator at once, even when the transport's stream does not settle on
        // abort (a fetch body read can stay pending after its signal aborted).
        const next = await untilAborted(stream.next(), options.signal);
        if (next === ABORTED) return;
        if (next.done) break;
        attempt = 0;
        const message = next.value;
        const entry = cursors.get(topicOf(message));
        if (!entry) continue; // not ours
        const id = envelopeId(message);
        if (id <= entry.cursor) continue; // already delivered before a reconnect
        entry.cursor = id;
        yield message;
      }
      if (options.signal.aborted) return;
      throw new Error('stream ended');
    } catch (error) {
      if (options.signal.aborted) return;
      attempt += 1;
      options.onReconnect?.(error, attempt);
      await sleep(Math.min(max, initial * 2 ** (attempt - 1)), options.signal);
    } finally {
      // Release the transport's stream (a no-op once it ended) without waiting: it may be stuck after an abort.
      void stream.return?.()?.catch(() => undefined);
    }
  }
}

const ABORTED = Symbol('aborted');

/** The promise's outcome, or ABORTED as soon as the signal aborts (the promise is then left to settle, or not, unobserved). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
