import { describe, expect, test } from 'vitest';
import { Mutex, TopicHub } from './topic-hub.js';

describe('TopicHub', () => {
  test('default: subscribers get items of their topics, in publish order', async () => {
    const hub = new TopicHub<number>();
    const sub = hub.subscribe(['a', 'b']);
    hub.publish('a', 1);
    hub.publish('c', 2);
    hub.publish('b', 3);
    expect(await sub.next()).toEqual({ topic: 'a', item: 1 });
    expect(await sub.next()).toEqual({ topic: 'b', item: 3 });
    sub.close();
    expect(await sub.next()).toBeUndefined();
  });

  test('behavior: a waiting reader is woken by publish, and by close', async () => {
    const hub = new TopicHub<string>();
    const sub = hub.subscribe(['t']);
    const waiting = sub.next();
    hub.publish('t', 'x');
    expect(await waiting).toEqual({ topic: 't', item: 'x' });
    const pending = sub.next();
    hub.closeAll();
    expect(await pending).toBeUndefined();
  });

  test('behavior: aborting the signal unsubscribes and frees the topic', async () => {
    const hub = new TopicHub<number>();
    const controller = new AbortController();
    const sub = hub.subscribe(['t'], controller.signal);
    expect(hub.subscriberCount('t')).toBe(1);
    controller.abort();
    expect(hub.subscriberCount('t')).toBe(0);
    hub.publish('t', 1);
    expect(await sub.next()).toBeUndefined();
  });
});

describe('Mutex', () => {
  test('default: sections run one at a time in call order, also after a failure', async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    const section = (name: string, ms: number, fail = false) =>
      mutex.run(async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([section('a', 20), section('b', 1, true), section('c', 5)]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
