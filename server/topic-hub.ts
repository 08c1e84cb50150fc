/**
 * In-process publish/subscribe for the node's live streams. Runs in the node (Node only).
 *
 * Publishers call `publish(topic, item)` in id order (the services publish inside their write
 * lock); subscribers get items through a `TopicSubscription`, an async queue they can read after
 * replaying history, skipping what the replay already delivered. Nothing here persists.
 */

export interface TopicSubscription<T> {
  /** Waits for the next item (with its topic), or undefined once closed. */
  next(): Promise<{ topic: string; item: T } | undefined>;
  close(): void;
}

export class TopicHub<T> {
  readonly #subscribers = new Map<string, Set<Queue<T>>>();

  subscribe(topics: Iterable<string>, signal?: AbortSignal): TopicSubscription<T> {
    const queue = new Queue<T>();
    const keys = [...new Set(topics)];
    for (const key of keys) {
      let set = this.#subscribers.get(key);
      if (!set) this.#subscribers.set(key, (set = new Set()));
      set.add(queue);
    }
    const close = () => {
      for (const key of keys) {
        const set = this.#subscribers.get(key);
        set?.delete(queue);
        if (set?.size === 0) this.#subscribers.delete(key);
      }
      queue.close();
    };
    signal?.addEventListener('abort', close, { once: true });
    if (signal?.aborted) close();
    return { next: () => queue.next(), close };
  }

  publish(topic: string, item: T): void {
    for (const queue of this.#subscribers.get(topic) ?? []) queue.push({ topic, item });
  }

  /** Number of open subscriptions on a topic (for tests and shutdown). */
  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /** Ends every subscription (node shutdown). */
  closeAll(): void {
    const queues = new Set([...this.#subscribers.values()].flatMap((s) => [...s]));
    this.#subscribers.clear();
    for (const q of queues) q.close();
  }
}

class Queue<T> {
  readonly #items: { topic: string; item: T }[] = [];
  #waiter: ((v: { topic: string; item: T } | undefined) => void) | undefined;
  #closed = false;

  push(entry: { topic: string; item: T }): void {
    if (this.#closed) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(entry);
    } else {
      this.#items.push(entry);
    }
  }

  next(): Promise<{ topic: string; item: T } | undefined> {
    const head = this.#items.shift();
    if (head) return Promise.resolve(head);
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  close(): void {
    this.#closed = true;
    this.#items.length = 0;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.(undefined);
  }
}

/** Runs async sections one at a time, in call order. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<R>(section: () => Promise<R>): Promise<R> {
    const result = this.#tail.then(section, section);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
