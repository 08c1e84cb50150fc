/**
 * The Store contract as a vitest suite, run against every implementation (sqlite-store.test.ts,
 * postgres-store.test.ts). Runs in Node under vitest only.
 *
 * It checks each guarantee of store.ts: one increasing id sequence per table across topics, in call
 * order, visible in id order; xmtp-node-go paging (limits, cursors, both directions, uint64 cursors);
 * dedupe by sha256(topic ‖ data) returning only stored rows; atomic batches that fail midway inside
 * the database; both welcome forms; key packages (last upload wins, fetch order); the identity log
 * (optimistic append, conflicts, the 256-entry limit, reads after a sequence id) and the address
 * index (latest unrevoked association, lowercase); the commit log; bigints beyond 2^53; persistence
 * across close/reopen; close semantics.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { projectPath } from '../test-support/tsx-child.js';
import {
  IdentityLogConflictError,
  InboxLogFullError,
  MAX_INBOX_LOG_ENTRIES,
  type AddressLogChange,
  type CommitLogEntryInput,
  type IdentityUpdateRow,
  type NewGroupMessage,
  type NewWelcomeMessage,
  type PageQuery,
  type Store,
} from './store.js';

export interface StoreUnderTest {
  readonly store: Store;
  /** Opens the same database again (after `store` was closed); absent for in-memory stores. */
  readonly reopen?: () => Promise<Store>;
  /**
   * Makes every id sequence (group messages, welcomes, inbox log, commit log) hand out `next` as
   * its next id, to test ids beyond 2^53. Absent where the test cannot reach the database.
   */
  readonly setNextIds?: (next: bigint) => Promise<void>;
  readonly cleanup: () => Promise<void>;
}

const TWO_53 = 2n ** 53n;
const MAX_UINT64 = 2n ** 64n - 1n;

const rnd = (n = 16): Uint8Array => new Uint8Array(randomBytes(n));
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const asc = (limit = 0, cursor = 0n): PageQuery => ({ direction: 'asc', limit, cursor });
const desc = (limit = 0, cursor = 0n): PageQuery => ({ direction: 'desc', limit, cursor });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nsNow = (): bigint => BigInt(Date.now()) * 1_000_000n;

function groupMessage(groupId: Uint8Array, data: Uint8Array = rnd(24), extra: Partial<NewGroupMessage> = {}): NewGroupMessage {
  return { groupId, data, senderHmac: rnd(32), shouldPush: true, isCommit: false, ...extra };
}

function welcomeV1(installationKey: Uint8Array, data: Uint8Array = rnd(40)): NewWelcomeMessage {
  return { kind: 'v1', installationKey, data, hpkePublicKey: rnd(32), wrapperAlgorithm: 1, welcomeMetadata: rnd(8) };
}

function welcomePointer(installationKey: Uint8Array, welcomePointer: Uint8Array = rnd(40)): NewWelcomeMessage {
  return { kind: 'pointer', installationKey, welcomePointer, hpkePublicKey: rnd(1216), wrapperAlgorithm: 2 };
}

function commitEntry(groupId: Uint8Array, serializedEntry: Uint8Array = rnd(30)): CommitLogEntryInput {
  return { groupId, serializedEntry, signature: rnd(64) };
}

const ids = (rows: readonly { id: bigint }[]): bigint[] => rows.map((r) => r.id);
const seqs = (rows: readonly { sequenceId: bigint }[]): bigint[] => rows.map((r) => r.sequenceId);

function expectIncreasing(values: readonly bigint[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]! > values[i - 1]!, `ids[${i}]=${values[i]} > ids[${i - 1}]=${values[i - 1]}`).toBe(true);
}

/** One paged table seen through the Store: insert rows for topics (one batch), query ids of a topic. */
interface PagedTable {
  readonly name: string;
  insert(store: Store, topics: readonly Uint8Array[]): Promise<bigint[]>;
  query(store: Store, topic: Uint8Array, page: PageQuery): Promise<bigint[]>;
}

const PAGED_TABLES: readonly PagedTable[] = [
  {
    name: 'group messages',
    insert: async (store, topics) => ids(await store.insertGroupMessages(topics.map((t) => groupMessage(t)))),
    query: async (store, topic, page) => ids(await store.queryGroupMessages(topic, page)),
  },
  {
    name: 'welcomes',
    insert: async (store, topics) => ids(await store.insertWelcomeMessages(topics.map((t, i) => (i % 2 ? welcomePointer(t) : welcomeV1(t))))),
    query: async (store, topic, page) => ids(await store.queryWelcomeMessages(topic, page)),
  },
  {
    name: 'commit log',
    insert: async (store, topics) => seqs(await store.insertCommitLogEntries(topics.map((t) => commitEntry(t)))),
    query: async (store, topic, page) => seqs(await store.queryCommitLog(topic, page)),
  },
];

async function publish(
  store: Store,
  inboxId: string,
  expectedLastSequenceId: bigint,
  addressChanges: AddressLogChange[] = [],
  update: Uint8Array = rnd(50),
): Promise<IdentityUpdateRow> {
  return store.publishIdentityUpdate({ inboxId, update, expectedLastSequenceId, addressChanges });
}

const inboxId = (): string => Buffer.from(rnd(32)).toString('hex');
const address = (): string => `0x${Buffer.from(rnd(20)).toString('hex')}`;

/**
 * The source of a child process that opens a store (`open`, an expression using `factory` imported
 * from `modulePath`), makes acknowledged writes to every table, prints their ids and then waits to be
 * killed without closing anything. `expectCrashChildWrites` checks them in the reopened store.
 */
export function crashChildSource(open: string, modulePath: string, factory: string): string {
  return `import { ${factory} } from ${projectPath(modulePath)};
    const store = ${open};
    const groupId = new Uint8Array([9, 9]);
    const rows = await store.insertGroupMessages([1, 2, 3].map((i) => ({ groupId, data: new Uint8Array([i]), senderHmac: new Uint8Array(0), shouldPush: false, isCommit: true })));
    await store.insertWelcomeMessages([{ kind: 'pointer', installationKey: groupId, welcomePointer: new Uint8Array([4]), hpkePublicKey: new Uint8Array([5]), wrapperAlgorithm: 2 }]);
    await store.upsertKeyPackage(groupId, new Uint8Array([6]));
    await store.publishIdentityUpdate({ inboxId: 'ab', update: new Uint8Array([7]), expectedLastSequenceId: 0n, addressChanges: [{ address: '0xAB', change: 'added' }] });
    await store.insertCommitLogEntries([{ groupId, serializedEntry: new Uint8Array([8]), signature: new Uint8Array(0) }]);
    console.log(JSON.stringify({ ids: rows.map((r) => String(r.id)) }));
    setInterval(() => {}, 1000);`;
}

export async function expectCrashChildWrites(store: Store, messageIds: readonly string[]): Promise<void> {
  const groupId = bytes(9, 9);
  const messages = await store.queryGroupMessages(groupId, asc());
  expect(messages.map((m) => String(m.id))).toEqual(messageIds);
  expect(messages.map((m) => m.data)).toEqual([bytes(1), bytes(2), bytes(3)]);
  expect(await store.queryWelcomeMessages(groupId, asc())).toMatchObject([{ kind: 'pointer', welcomePointer: bytes(4) }]);
  expect(await store.fetchKeyPackages([groupId])).toEqual([bytes(6)]);
  expect(await store.getIdentityUpdates('ab', 0n)).toMatchObject([{ update: bytes(7) }]);
  expect(await store.getInboxIdsByAddress(['0xab'])).toEqual(['ab']);
  expect(await store.queryCommitLog(groupId, asc())).toMatchObject([{ serializedEntry: bytes(8) }]);
}

export function describeStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${name}`, () => {
    let t: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      t = await makeStore();
      store = t.store;
    });
    afterEach(async () => {
      await t.cleanup();
    });

    // ------------------------------------------------------------------ paging, for every table
    for (const table of PAGED_TABLES) {
      describe(`paging: ${table.name}`, () => {
        /** 150 rows for `topic`, interleaved with 50 of another topic so the topic's ids have gaps. */
        async function fill(topic: Uint8Array): Promise<bigint[]> {
          const other = rnd();
          const topics = Array.from({ length: 200 }, (_, i) => (i % 4 === 3 ? other : topic));
          const all = await table.insert(store, topics);
          return all.filter((_, i) => i % 4 !== 3);
        }

        test('default: ASC from cursor 0 returns the oldest first, ids increasing with gaps (one global sequence)', async () => {
          const topic = rnd();
          const mine = await fill(topic);
          expect(mine).toHaveLength(150);
          expectIncreasing(mine);
          expect(mine.some((id, i) => i > 0 && id - mine[i - 1]! > 1n)).toBe(true);
          expect(await table.query(store, topic, asc(100))).toEqual(mine.slice(0, 100));
        });

        test('behavior: limit 0 and limits over 100 mean 100', async () => {
          const topic = rnd();
          const mine = await fill(topic);
          for (const limit of [0, 101, 1000, 2 ** 32 - 1]) {
            expect(await table.query(store, topic, asc(limit)), `limit ${limit}`).toEqual(mine.slice(0, 100));
            expect(await table.query(store, topic, desc(limit)), `limit ${limit}`).toEqual(mine.slice(50).reverse());
          }
        });

        test('behavior: limits 1 to 100 are honoured', async () => {
          const topic = rnd();
          const mine = await fill(topic);
          for (const limit of [1, 37, 99, 100]) {
            expect(await table.query(store, topic, asc(limit)), `limit ${limit}`).toEqual(mine.slice(0, limit));
            expect(await table.query(store, topic, desc(limit)), `limit ${limit}`).toEqual(mine.slice(-limit).reverse());
          }
        });

        test('behavior: ASC returns ids greater than the cursor, DESC ids smaller, cursor 0 = from the start / the end', async () => {
          const topic = rnd();
          const mine = await fill(topic);
          expect(await table.query(store, topic, asc(10, mine[9]!))).toEqual(mine.slice(10, 20));
          expect(await table.query(store, topic, desc(10, mine[9]!))).toEqual(mine.slice(0, 9).reverse());
          expect(await table.query(store, topic, desc(5))).toEqual(mine.slice(-5).reverse());
          // A cursor that is not an id of this topic works the same.
          const between = mine[20]! + 1n;
          expect(mine).not.toContain(between);
          expect((await table.query(store, topic, asc(3, between)))[0]).toBe(mine[21]);
          expect((await table.query(store, topic, desc(3, between)))[0]).toBe(mine[20]);
          expect(await table.query(store, topic, asc(0, mine.at(-1)!))).toEqual([]);
          expect(await table.query(store, topic, desc(0, mine[0]!))).toEqual([]);
        });

        test('behavior: paging ASC, then DESC, until a short page visits every row once, in order', async () => {
          const topic = rnd();
          const mine = await fill(topic);
          for (const [direction, expected] of [
            ['asc', mine],
            ['desc', [...mine].reverse()],
          ] as const) {
            for (const limit of [0, 40]) {
              const seen: bigint[] = [];
              const sizes: number[] = [];
              let cursor = 0n;
              for (;;) {
                const page = await table.query(store, topic, { direction, limit, cursor });
                sizes.push(page.length);
                seen.push(...page);
                if (page.length < (limit || 100)) break;
                cursor = page.at(-1)!;
              }
              expect(seen, `${direction} limit ${limit}`).toEqual(expected);
              expect(sizes).toEqual(limit === 0 ? [100, 50] : [40, 40, 40, 30]);
            }
          }
        });

        test('behavior: cursors beyond 2^53 and beyond the int64 range (uint64 on the wire)', async () => {
          const topic = rnd();
          const mine = (await table.insert(store, [topic, topic, topic])).slice();
          for (const cursor of [TWO_53 + 1n, 2n ** 63n - 1n, 2n ** 63n, MAX_UINT64]) {
            expect(await table.query(store, topic, asc(0, cursor)), `asc ${cursor}`).toEqual([]);
            expect(await table.query(store, topic, desc(0, cursor)), `desc ${cursor}`).toEqual([...mine].reverse());
          }
        });

        test('error: a negative cursor is refused', async () => {
          await expect(table.query(store, rnd(), asc(0, -1n))).rejects.toThrow(RangeError);
        });

        test('behavior: topics match by exact bytes; an unknown topic gives an empty page', async () => {
          const a = bytes(1, 2);
          const b = bytes(1, 2, 0);
          const c = bytes(1, 2, 3);
          const inserted = await table.insert(store, [a, b, c, a]);
          expect(await table.query(store, a, asc())).toEqual([inserted[0], inserted[3]]);
          expect(await table.query(store, b, asc())).toEqual([inserted[1]]);
          expect(await table.query(store, c, asc())).toEqual([inserted[2]]);
          expect(await table.query(store, bytes(1), asc())).toEqual([]);
          expect(await table.query(store, rnd(), desc())).toEqual([]);
        });
      });
    }

    // ------------------------------------------------------------------ group messages
    describe('group messages', () => {
      test('default: insert returns every field, a bigint id and the server time in ns; a query returns the same', async () => {
        const groupId = rnd(32);
        const input = [
          groupMessage(groupId, rnd(100), { shouldPush: true, isCommit: false }),
          groupMessage(groupId, rnd(100), { shouldPush: false, isCommit: true, senderHmac: new Uint8Array(0) }),
        ];
        const before = nsNow() - 2_000_000_000n;
        const stored = await store.insertGroupMessages(input);
        const after = nsNow() + 2_000_000_000n;
        expect(stored).toHaveLength(2);
        stored.forEach((row, i) => {
          expect(typeof row.id).toBe('bigint');
          expect(typeof row.createdNs).toBe('bigint');
          expect(row.createdNs > TWO_53).toBe(true);
          expect(row.createdNs >= before && row.createdNs <= after).toBe(true);
          expect(row).toMatchObject({ ...input[i] });
          expect(row.groupId).toEqual(groupId);
          expect(row.data).toEqual(input[i]!.data);
          expect(row.senderHmac).toEqual(input[i]!.senderHmac);
        });
        expectIncreasing(ids(stored));
        expect(await store.queryGroupMessages(groupId, asc())).toEqual(stored);
      });

      test('behavior: ids come from one global sequence across groups, in call order and in batch order', async () => {
        const a = rnd();
        const b = rnd();
        const [a1] = await store.insertGroupMessages([groupMessage(a)]);
        const [b1] = await store.insertGroupMessages([groupMessage(b)]);
        const [a2] = await store.insertGroupMessages([groupMessage(a)]);
        const mixed = await store.insertGroupMessages([groupMessage(b), groupMessage(a), groupMessage(b)]);
        const all = [a1!, b1!, a2!, ...mixed];
        expectIncreasing(ids(all));
        expect(ids(await store.queryGroupMessages(a, asc()))).toEqual([a1!.id, a2!.id, mixed[1]!.id]);
        expect(ids(await store.queryGroupMessages(b, asc()))).toEqual([b1!.id, mixed[0]!.id, mixed[2]!.id]);
      });

      test('behavior: the same message twice in one batch is stored once; only stored rows are returned', async () => {
        const groupId = rnd();
        const m = groupMessage(groupId);
        const other = groupMessage(groupId);
        const stored = await store.insertGroupMessages([m, other, { ...m, senderHmac: rnd(32), shouldPush: false }]);
        expect(stored.map((r) => r.data)).toEqual([m.data, other.data]);
        expect(stored[0]!.senderHmac).toEqual(m.senderHmac);
        expect(await store.queryGroupMessages(groupId, asc())).toEqual(stored);
      });

      test('behavior: a message already stored is skipped in a later batch; the new rows get larger ids', async () => {
        const groupId = rnd();
        const [m1, m2, m3] = [groupMessage(groupId), groupMessage(groupId), groupMessage(groupId)];
        const first = await store.insertGroupMessages([m1!, m2!]);
        const second = await store.insertGroupMessages([m2!, m3!, m1!]);
        expect(second).toHaveLength(1);
        expect(second[0]!.data).toEqual(m3!.data);
        expect(second[0]!.id > first[1]!.id).toBe(true);
        expect(await store.insertGroupMessages([m1!, m3!])).toEqual([]);
        expect(ids(await store.queryGroupMessages(groupId, asc()))).toEqual([...ids(first), second[0]!.id]);
      });

      test('behavior: the dedupe key is sha256(group id ‖ data): the same data in another group is stored', async () => {
        const data = rnd(40);
        const stored = await store.insertGroupMessages([groupMessage(rnd(), data), groupMessage(rnd(), data)]);
        expect(stored).toHaveLength(2);
      });

      test('default: an empty batch stores nothing and returns []', async () => {
        expect(await store.insertGroupMessages([])).toEqual([]);
      });

      test('error: a batch failing midway in the database (empty data, a CHECK constraint) stores none of its rows', async () => {
        const groupId = rnd();
        const kept = await store.insertGroupMessages([groupMessage(groupId)]);
        const a = groupMessage(groupId);
        const b = groupMessage(rnd());
        const bad = groupMessage(groupId, new Uint8Array(0));
        // New rows, a duplicate of a stored row, then a row the database refuses.
        await expect(store.insertGroupMessages([a, groupMessage(groupId, kept[0]!.data), b, bad, groupMessage(groupId)])).rejects.toThrow();
        await expect(store.insertGroupMessages([a, groupMessage(new Uint8Array(0)), b])).rejects.toThrow();
        expect(await store.queryGroupMessages(groupId, asc())).toEqual(kept);
        expect(await store.queryGroupMessages(b.groupId, asc())).toEqual([]);
        // The failed batch left no dedupe hash behind: its rows can be stored afterwards.
        const retried = await store.insertGroupMessages([a, b]);
        expect(retried).toHaveLength(2);
        expect(retried[0]!.id > kept[0]!.id).toBe(true);
      });

      test('error: a row that is not bytes is refused with a TypeError and nothing is stored', async () => {
        const groupId = rnd();
        const bad = { ...groupMessage(groupId), data: 'not bytes' } as unknown as NewGroupMessage;
        await expect(store.insertGroupMessages([groupMessage(groupId), bad])).rejects.toThrow(TypeError);
        expect(await store.queryGroupMessages(groupId, asc())).toEqual([]);
      });

      test('default: newestGroupMessages gives each group its newest message in input order, undefined when none', async () => {
        const a = rnd();
        const b = rnd();
        const unknown = rnd();
        await store.insertGroupMessages([groupMessage(a), groupMessage(b)]);
        const [newestA] = await store.insertGroupMessages([groupMessage(a)]);
        const [, newestB] = await store.insertGroupMessages([groupMessage(rnd()), groupMessage(b)]);
        const result = await store.newestGroupMessages([b, unknown, a, b]);
        expect(result).toHaveLength(4);
        expect(result[0]).toEqual(newestB);
        expect(result[1]).toBeUndefined();
        expect(result[2]).toEqual(newestA);
        expect(result[3]).toEqual(newestB);
        expect(await store.newestGroupMessages([])).toEqual([]);
        expect(await store.newestGroupMessages([unknown])).toEqual([undefined]);
      });

      test('behavior: parallel inserts get unique ids in call order, and ids become visible in id order', async () => {
        const groupId = rnd();
        const snapshots: bigint[][] = [];
        let running = true;
        const poller = (async () => {
          while (running) {
            snapshots.push(ids(await store.queryGroupMessages(groupId, asc(100))));
            await sleep(0);
          }
        })();
        const calls = Array.from({ length: 80 }, (_, i) =>
          store.insertGroupMessages(i % 2 ? [groupMessage(groupId)] : [groupMessage(groupId), groupMessage(rnd())]),
        );
        const results = await Promise.all(calls);
        running = false;
        await poller;
        const perCall = results.map((r) => ids(r));
        const flat = perCall.flat();
        expect(new Set(flat).size).toBe(flat.length);
        // Each call's rows follow every row of the calls made before it.
        expectIncreasing(flat);
        const final = ids(await store.queryGroupMessages(groupId, asc(100)));
        expect(final).toHaveLength(80);
        // A reader never sees a row while a row with a smaller id is still to appear.
        for (const snapshot of snapshots) expect(snapshot).toEqual(final.slice(0, snapshot.length));
      });
    });

    // ------------------------------------------------------------------ welcomes
    describe('welcomes', () => {
      test('default: a V1 welcome round-trips every field (empty metadata too)', async () => {
        const key = rnd(32);
        const input: NewWelcomeMessage[] = [
          welcomeV1(key),
          { kind: 'v1', installationKey: key, data: rnd(500), hpkePublicKey: rnd(32), wrapperAlgorithm: 3, welcomeMetadata: new Uint8Array(0) },
        ];
        const before = nsNow() - 2_000_000_000n;
        const stored = await store.insertWelcomeMessages(input);
        expect(stored).toHaveLength(2);
        stored.forEach((row, i) => {
          expect(row).toEqual({ ...input[i], id: row.id, createdNs: row.createdNs });
          expect(typeof row.id).toBe('bigint');
          expect(row.createdNs >= before && row.createdNs <= nsNow() + 2_000_000_000n).toBe(true);
        });
        expect(await store.queryWelcomeMessages(key, asc())).toEqual(stored);
      });

      test('default: a welcome pointer round-trips every field', async () => {
        const key = rnd(32);
        const input = welcomePointer(key);
        const stored = await store.insertWelcomeMessages([input]);
        expect(stored).toEqual([{ ...input, id: stored[0]!.id, createdNs: stored[0]!.createdNs }]);
        expect(stored[0]).not.toHaveProperty('data');
        expect(stored[0]).not.toHaveProperty('welcomeMetadata');
        expect(await store.queryWelcomeMessages(key, desc())).toEqual(stored);
      });

      test('behavior: both forms share one id sequence and page together per installation key', async () => {
        const key = rnd();
        const other = rnd();
        const stored = await store.insertWelcomeMessages([welcomeV1(key), welcomePointer(other), welcomePointer(key), welcomeV1(key)]);
        expectIncreasing(ids(stored));
        const page = await store.queryWelcomeMessages(key, asc());
        expect(page.map((w) => w.kind)).toEqual(['v1', 'pointer', 'v1']);
        expect(page).toEqual([stored[0], stored[2], stored[3]]);
      });

      test('behavior: a duplicate (same installation key and data) is skipped within and across batches', async () => {
        const key = rnd();
        const v1 = welcomeV1(key);
        const pointer = welcomePointer(key);
        const first = await store.insertWelcomeMessages([v1, { ...v1, hpkePublicKey: rnd(32) }, pointer]);
        expect(first).toHaveLength(2);
        expect(await store.insertWelcomeMessages([pointer, v1])).toEqual([]);
        const freshData = rnd(40);
        const second = await store.insertWelcomeMessages([v1, welcomeV1(key, freshData)]);
        expect(second).toHaveLength(1);
        expect(second[0]).toMatchObject({ kind: 'v1', data: freshData });
        // The same bytes for another installation are not a duplicate.
        expect(await store.insertWelcomeMessages([{ ...v1, installationKey: rnd() }])).toHaveLength(1);
        expect(ids(await store.queryWelcomeMessages(key, asc()))).toEqual([...ids(first), second[0]!.id]);
      });

      test('error: a batch failing midway in the database (empty installation key) stores none of its rows', async () => {
        const key = rnd();
        const good = [welcomeV1(key), welcomePointer(key)];
        await expect(store.insertWelcomeMessages([...good, welcomeV1(new Uint8Array(0)), welcomeV1(key)])).rejects.toThrow();
        await expect(store.insertWelcomeMessages([good[0]!, welcomePointer(key, new Uint8Array(0))])).rejects.toThrow();
        expect(await store.queryWelcomeMessages(key, asc())).toEqual([]);
        expect(await store.insertWelcomeMessages(good)).toHaveLength(2);
      });

      test('error: a wrapper algorithm outside int32 or an unknown kind is refused', async () => {
        const key = rnd();
        await expect(store.insertWelcomeMessages([{ ...welcomeV1(key), wrapperAlgorithm: 2 ** 31 }])).rejects.toThrow(RangeError);
        await expect(store.insertWelcomeMessages([{ ...welcomeV1(key), wrapperAlgorithm: 1.5 }])).rejects.toThrow(RangeError);
        await expect(store.insertWelcomeMessages([{ ...welcomeV1(key), kind: 'v2' } as unknown as NewWelcomeMessage])).rejects.toThrow(TypeError);
        expect(await store.queryWelcomeMessages(key, asc())).toEqual([]);
      });
    });

    // ------------------------------------------------------------------ key packages
    describe('key packages', () => {
      test('default: fetchKeyPackages answers in request order, undefined for installations without one', async () => {
        const [k1, k2, missing] = [rnd(32), rnd(32), rnd(32)];
        const [p1, p2] = [rnd(300), rnd(300)];
        await store.upsertKeyPackage(k1!, p1!);
        await store.upsertKeyPackage(k2!, p2!);
        expect(await store.fetchKeyPackages([k2!, missing!, k1!, k2!])).toEqual([p2, undefined, p1, p2]);
        expect(await store.fetchKeyPackages([])).toEqual([]);
        expect(await store.fetchKeyPackages([missing!])).toEqual([undefined]);
      });

      test('behavior: the last upload wins, also when uploads are made in parallel', async () => {
        const key = rnd(32);
        await store.upsertKeyPackage(key, rnd(10));
        const last = rnd(10);
        await store.upsertKeyPackage(key, last);
        expect(await store.fetchKeyPackages([key])).toEqual([last]);
        const packages = Array.from({ length: 20 }, () => rnd(50));
        await Promise.all(packages.map((p) => store.upsertKeyPackage(key, p)));
        expect(await store.fetchKeyPackages([key])).toEqual([packages.at(-1)]);
      });

      test('error: an empty installation key or key package is refused and changes nothing', async () => {
        const key = rnd(32);
        const kp = rnd(10);
        await store.upsertKeyPackage(key, kp);
        await expect(store.upsertKeyPackage(key, new Uint8Array(0))).rejects.toThrow();
        await expect(store.upsertKeyPackage(new Uint8Array(0), rnd(10))).rejects.toThrow();
        expect(await store.fetchKeyPackages([key, new Uint8Array(0)])).toEqual([kp, undefined]);
      });
    });

    // ------------------------------------------------------------------ identity log
    describe('identity log', () => {
      test('default: the first update of an inbox expects 0n; each next one expects the last sequence id', async () => {
        const inbox = inboxId();
        const update = rnd(120);
        const before = nsNow() - 2_000_000_000n;
        const first = await publish(store, inbox, 0n, [], update);
        expect(typeof first.sequenceId).toBe('bigint');
        expect(first.inboxId).toBe(inbox);
        expect(first.update).toEqual(update);
        expect(first.serverTimestampNs >= before && first.serverTimestampNs <= nsNow() + 2_000_000_000n).toBe(true);
        const second = await publish(store, inbox, first.sequenceId);
        expect(second.sequenceId > first.sequenceId).toBe(true);
        expect(await store.getIdentityUpdates(inbox, 0n)).toEqual([first, second]);
      });

      test('behavior: sequence ids are global; getIdentityUpdates returns one inbox’s entries after a sequence id, ascending', async () => {
        const a = inboxId();
        const b = inboxId();
        const a1 = await publish(store, a, 0n);
        const b1 = await publish(store, b, 0n);
        const a2 = await publish(store, a, a1.sequenceId);
        const b2 = await publish(store, b, b1.sequenceId);
        const a3 = await publish(store, a, a2.sequenceId);
        expectIncreasing(seqs([a1, b1, a2, b2, a3]));
        expect(await store.getIdentityUpdates(a, 0n)).toEqual([a1, a2, a3]);
        expect(await store.getIdentityUpdates(a, a1.sequenceId)).toEqual([a2, a3]);
        expect(await store.getIdentityUpdates(a, b1.sequenceId)).toEqual([a2, a3]);
        expect(await store.getIdentityUpdates(a, a3.sequenceId)).toEqual([]);
        expect(await store.getIdentityUpdates(b, 0n)).toEqual([b1, b2]);
        expect(await store.getIdentityUpdates(inboxId(), 0n)).toEqual([]);
        expect(await store.getIdentityUpdates(a, TWO_53 + 1n)).toEqual([]);
        expect(await store.getIdentityUpdates(a, MAX_UINT64)).toEqual([]);
        await expect(store.getIdentityUpdates(a, -1n)).rejects.toThrow(RangeError);
      });

      test('error: a stale or wrong expectedLastSequenceId throws IdentityLogConflictError and changes nothing', async () => {
        const inbox = inboxId();
        const other = await publish(store, inboxId(), 0n);
        const first = await publish(store, inbox, 0n);
        const second = await publish(store, inbox, first.sequenceId);
        const addr = address();
        for (const expected of [0n, first.sequenceId, second.sequenceId + 1n, other.sequenceId, MAX_UINT64]) {
          await expect(publish(store, inbox, expected, [{ address: addr, change: 'added' }]), `expected ${expected}`).rejects.toBeInstanceOf(
            IdentityLogConflictError,
          );
        }
        await expect(publish(store, inboxId(), first.sequenceId)).rejects.toBeInstanceOf(IdentityLogConflictError);
        expect(await store.getIdentityUpdates(inbox, 0n)).toEqual([first, second]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([undefined]);
      });

      test('behavior: parallel publishes expecting the same last entry: exactly one wins', async () => {
        const inbox = inboxId();
        const first = await publish(store, inbox, 0n);
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => publish(store, inbox, first.sequenceId)));
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(9);
        for (const r of lost) expect(r.reason).toBeInstanceOf(IdentityLogConflictError);
        expect(await store.getIdentityUpdates(inbox, 0n)).toHaveLength(2);
      });

      test(`error: an inbox holding ${MAX_INBOX_LOG_ENTRIES} updates is full: InboxLogFullError, log unchanged`, async () => {
        const inbox = inboxId();
        let last = 0n;
        for (let i = 0; i < MAX_INBOX_LOG_ENTRIES; i++) last = (await publish(store, inbox, last, [], bytes(i >> 8, i & 0xff, 1))).sequenceId;
        const before = await store.getIdentityUpdates(inbox, 0n);
        expect(before).toHaveLength(MAX_INBOX_LOG_ENTRIES);
        const addr = address();
        await expect(publish(store, inbox, last, [{ address: addr, change: 'added' }])).rejects.toBeInstanceOf(InboxLogFullError);
        expect(await store.getIdentityUpdates(inbox, 0n)).toEqual(before);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([undefined]);
        // Other inboxes are not affected.
        await expect(publish(store, inboxId(), 0n)).resolves.toBeDefined();
      });

      test('error: a malformed publish (empty inbox id, update not bytes, negative expectation) is refused', async () => {
        await expect(publish(store, '', 0n)).rejects.toThrow(TypeError);
        await expect(store.publishIdentityUpdate({ inboxId: inboxId(), update: 'x' as unknown as Uint8Array, expectedLastSequenceId: 0n, addressChanges: [] })).rejects.toThrow(TypeError);
        await expect(publish(store, inboxId(), -1n)).rejects.toThrow(RangeError);
        await expect(publish(store, inboxId(), 0n, [], new Uint8Array(0))).rejects.toThrow();
      });
    });

    // ------------------------------------------------------------------ address index
    describe('address index', () => {
      test('default: an added address maps to its inbox; answers keep input order, undefined when unknown', async () => {
        const [inbox, addr1, addr2, unknown] = [inboxId(), address(), address(), address()];
        await publish(store, inbox, 0n, [
          { address: addr1, change: 'added' },
          { address: addr2, change: 'added' },
        ]);
        expect(await store.getInboxIdsByAddress([addr2, unknown, addr1])).toEqual([inbox, undefined, inbox]);
        expect(await store.getInboxIdsByAddress([])).toEqual([]);
      });

      test('behavior: a removed (revoked) address maps to no inbox; adding it again restores it', async () => {
        const [inbox, addr] = [inboxId(), address()];
        const u1 = await publish(store, inbox, 0n, [{ address: addr, change: 'added' }]);
        const u2 = await publish(store, inbox, u1.sequenceId, [{ address: addr, change: 'removed' }]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([undefined]);
        await publish(store, inbox, u2.sequenceId, [{ address: addr, change: 'added' }]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([inbox]);
      });

      test('behavior: re-added to another inbox, the latest unrevoked association wins', async () => {
        const [a, b, addr] = [inboxId(), inboxId(), address()];
        const a1 = await publish(store, a, 0n, [{ address: addr, change: 'added' }]);
        const b1 = await publish(store, b, 0n, [{ address: addr, change: 'added' }]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([b]);
        // Revoking it from B falls back to A's association, which was never revoked (as xmtp-node-go).
        const b2 = await publish(store, b, b1.sequenceId, [{ address: addr, change: 'removed' }]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([a]);
        const a2 = await publish(store, a, a1.sequenceId, [{ address: addr, change: 'removed' }]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([undefined]);
        await publish(store, b, b2.sequenceId, [{ address: addr, change: 'added' }]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([b]);
        await publish(store, a, a2.sequenceId, [{ address: addr, change: 'added' }]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([a]);
      });

      test('behavior: a removal revokes only the association with the updating inbox', async () => {
        const [a, b, addr] = [inboxId(), inboxId(), address()];
        const a1 = await publish(store, a, 0n, [{ address: addr, change: 'added' }]);
        const b1 = await publish(store, b, 0n, [{ address: addr, change: 'added' }]);
        await publish(store, a, a1.sequenceId, [{ address: addr, change: 'removed' }]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([b]);
        await publish(store, b, b1.sequenceId, [{ address: addr, change: 'removed' }]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([undefined]);
        // Removing an address the inbox never had changes nothing.
        await publish(store, inboxId(), 0n, [{ address: address(), change: 'removed' }]);
      });

      test('behavior: addresses are stored lowercase and looked up case-insensitively', async () => {
        const inbox = inboxId();
        const hex = Buffer.from(rnd(20)).toString('hex');
        const mixed = `0x${hex.slice(0, 20).toUpperCase()}${hex.slice(20)}`;
        const lower = `0x${hex}`;
        const u1 = await publish(store, inbox, 0n, [{ address: mixed, change: 'added' }]);
        expect(await store.getInboxIdsByAddress([lower, mixed, `0x${hex.toUpperCase()}`])).toEqual([inbox, inbox, inbox]);
        await publish(store, inbox, u1.sequenceId, [{ address: `0x${hex.toUpperCase()}`, change: 'removed' }]);
        expect(await store.getInboxIdsByAddress([lower])).toEqual([undefined]);
      });
    });

    // ------------------------------------------------------------------ commit log
    describe('commit log', () => {
      test('default: entries round-trip with sequence ids in input order (an empty signature too)', async () => {
        const groupId = rnd(32);
        const input = [commitEntry(groupId), { groupId, serializedEntry: rnd(60), signature: new Uint8Array(0) }];
        const stored = await store.insertCommitLogEntries(input);
        expect(stored).toEqual(input.map((e, i) => ({ ...e, sequenceId: stored[i]!.sequenceId })));
        expect(typeof stored[0]!.sequenceId).toBe('bigint');
        expectIncreasing(seqs(stored));
        expect(await store.queryCommitLog(groupId, asc())).toEqual(stored);
      });

      test('behavior: identical entries are all kept (no dedupe in the commit log)', async () => {
        const groupId = rnd();
        const entry = commitEntry(groupId);
        await store.insertCommitLogEntries([entry, entry]);
        await store.insertCommitLogEntries([entry]);
        expect(await store.queryCommitLog(groupId, asc())).toHaveLength(3);
      });

      test('error: a batch failing midway in the database (empty group id) stores none of its rows', async () => {
        const groupId = rnd();
        await expect(store.insertCommitLogEntries([commitEntry(groupId), commitEntry(new Uint8Array(0)), commitEntry(groupId)])).rejects.toThrow();
        expect(await store.queryCommitLog(groupId, asc())).toEqual([]);
      });

      test('behavior: parallel inserts get unique ids in call order', async () => {
        const groupId = rnd();
        const results = await Promise.all(Array.from({ length: 30 }, () => store.insertCommitLogEntries([commitEntry(groupId), commitEntry(groupId)])));
        const flat = results.flatMap((r) => seqs(r));
        expectIncreasing(flat);
        expect(seqs(await store.queryCommitLog(groupId, asc()))).toEqual(flat);
      });
    });

    // ------------------------------------------------------------------ bigints beyond 2^53
    describe('ids beyond 2^53', () => {
      test('behavior: every table hands out and compares ids beyond 2^53 exactly', async (ctx) => {
        if (!t.setNextIds) return ctx.skip();
        const next = TWO_53 + 1n; // as a double this would round to 2^53
        await t.setNextIds(next);
        const groupId = rnd();
        const messages = await store.insertGroupMessages([groupMessage(groupId), groupMessage(groupId)]);
        expect(ids(messages)).toEqual([next, next + 1n]);
        expect(ids(await store.queryGroupMessages(groupId, asc(0, next)))).toEqual([next + 1n]);
        expect(ids(await store.queryGroupMessages(groupId, desc(0, next + 1n)))).toEqual([next]);
        expect(await store.newestGroupMessages([groupId])).toEqual([messages[1]]);

        const key = rnd();
        const welcomes = await store.insertWelcomeMessages([welcomeV1(key), welcomePointer(key)]);
        expect(ids(welcomes)).toEqual([next, next + 1n]);
        expect(ids(await store.queryWelcomeMessages(key, desc(0, next + 1n)))).toEqual([next]);

        const entries = await store.insertCommitLogEntries([commitEntry(groupId), commitEntry(groupId)]);
        expect(seqs(entries)).toEqual([next, next + 1n]);
        expect(seqs(await store.queryCommitLog(groupId, asc(0, next)))).toEqual([next + 1n]);

        const inbox = inboxId();
        const addr = address();
        const u1 = await publish(store, inbox, 0n, [{ address: addr, change: 'added' }]);
        expect(u1.sequenceId).toBe(next);
        await expect(publish(store, inbox, TWO_53)).rejects.toBeInstanceOf(IdentityLogConflictError);
        const u2 = await publish(store, inbox, next, [{ address: addr, change: 'removed' }]);
        expect(u2.sequenceId).toBe(next + 1n);
        expect(await store.getIdentityUpdates(inbox, next)).toEqual([u2]);
        expect(await store.getIdentityUpdates(inbox, TWO_53)).toEqual([u1, u2]);
        expect(await store.getInboxIdsByAddress([addr])).toEqual([undefined]);
      });
    });

    // ------------------------------------------------------------------ lifecycle
    describe('lifecycle', () => {
      test('behavior: everything acknowledged survives close and reopen; ids continue upwards', async (ctx) => {
        if (!t.reopen) return ctx.skip();
        const groupId = rnd();
        const key = rnd();
        const inbox = inboxId();
        const addr = address();
        const messages = await store.insertGroupMessages([groupMessage(groupId), groupMessage(groupId)]);
        const welcomes = await store.insertWelcomeMessages([welcomeV1(key), welcomePointer(key)]);
        const kp = rnd(100);
        await store.upsertKeyPackage(key, kp);
        const update = await publish(store, inbox, 0n, [{ address: addr, change: 'added' }]);
        const entries = await store.insertCommitLogEntries([commitEntry(groupId)]);
        await store.close();

        const reopened = await t.reopen();
        try {
          expect(await reopened.queryGroupMessages(groupId, asc())).toEqual(messages);
          expect(await reopened.queryWelcomeMessages(key, asc())).toEqual(welcomes);
          expect(await reopened.fetchKeyPackages([key])).toEqual([kp]);
          expect(await reopened.getIdentityUpdates(inbox, 0n)).toEqual([update]);
          expect(await reopened.getInboxIdsByAddress([addr])).toEqual([inbox]);
          expect(await reopened.queryCommitLog(groupId, asc())).toEqual(entries);
          // Dedupe hashes survive too, and new ids are larger than every old one.
          expect(await reopened.insertGroupMessages([groupMessage(groupId, messages[0]!.data)])).toEqual([]);
          const [next] = await reopened.insertGroupMessages([groupMessage(groupId)]);
          expect(next!.id > messages[1]!.id).toBe(true);
          const [nextWelcome] = await reopened.insertWelcomeMessages([welcomeV1(key)]);
          expect(nextWelcome!.id > welcomes[1]!.id).toBe(true);
          const nextUpdate = await publish(reopened, inbox, update.sequenceId);
          expect(nextUpdate.sequenceId > update.sequenceId).toBe(true);
          const [nextEntry] = await reopened.insertCommitLogEntries([commitEntry(groupId)]);
          expect(nextEntry!.sequenceId > entries[0]!.sequenceId).toBe(true);
        } finally {
          await reopened.close();
        }
      });

      test('behavior: close waits for writes already accepted', async () => {
        const groupId = rnd();
        const pending = store.insertGroupMessages(Array.from({ length: 20 }, () => groupMessage(groupId)));
        const pendingLog = publish(store, inboxId(), 0n);
        const closed = store.close();
        const stored = await pending;
        await expect(pendingLog).resolves.toBeDefined();
        await closed;
        expect(stored).toHaveLength(20);
        if (!t.reopen) return;
        const reopened = await t.reopen();
        try {
          expect(await reopened.queryGroupMessages(groupId, asc())).toEqual(stored);
        } finally {
          await reopened.close();
        }
      });

      test('error: close is idempotent; every call after close is refused', async () => {
        await store.close();
        await store.close();
        const key = rnd();
        const calls: (() => Promise<unknown>)[] = [
          () => store.insertGroupMessages([groupMessage(key)]),
          () => store.queryGroupMessages(key, asc()),
          () => store.queryGroupMessages(key, asc(0, MAX_UINT64)),
          () => store.newestGroupMessages([key]),
          () => store.insertWelcomeMessages([welcomeV1(key)]),
          () => store.queryWelcomeMessages(key, desc()),
          () => store.upsertKeyPackage(key, rnd()),
          () => store.fetchKeyPackages([key]),
          () => publish(store, inboxId(), 0n),
          () => store.getIdentityUpdates(inboxId(), 0n),
          () => store.getIdentityUpdates(inboxId(), MAX_UINT64),
          () => store.getInboxIdsByAddress([address()]),
          () => store.insertCommitLogEntries([commitEntry(key)]),
          () => store.queryCommitLog(key, asc()),
        ];
        for (const call of calls) await expect(call()).rejects.toThrow(/closed/);
      });
    });
  });
}
