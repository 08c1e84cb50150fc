/**
 * `xmtp.mls.api.v1.MlsApi` for the local node, with xmtp-node-go's semantics. Node only.
 *
 * What is validated (as the network does): the MLS framing of every group message (group id and
 * commit flag are read from it), every key package (signatures, lifetime, credential), the shape of
 * every welcome. Nothing about group membership or epochs: clients enforce group rules. Writes of a
 * table are serialised and published to live streams in id order; a stream replays everything after
 * its cursor and then goes live without a gap or a duplicate.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type {
  MlsApi} from '../../src/gen/mls/api/v1/mls_pb.js';
import {
  FetchKeyPackagesResponse_KeyPackageSchema,
  GroupMessageSchema,
  WelcomeMessageSchema,
  type GroupMessage,
  type GroupMessageInput,
  type WelcomeMessage,
  type WelcomeMessageInput,
} from '../../src/gen/mls/api/v1/mls_pb.js';
import { RecoverableEd25519SignatureSchema, type RecoverableEd25519Signature } from '../../src/gen/identity/associations/signature_pb.js';
import { WelcomePointerWrapperAlgorithm } from '../../src/gen/mls/message_contents/welcome_pointer_pb.js';
import { WelcomeWrapperAlgorithm } from '../../src/gen/mls/message_contents/wrapper_encryption_pb.js';
import { readGroupMessageFraming } from '../../src/protocol/mls/framing.js';
import { verifyKeyPackage } from '../../src/protocol/mls/key-package.js';
import type { NewGroupMessage, NewWelcomeMessage, PageQuery, Store, StoredGroupMessage, StoredWelcomeMessage } from '../store/store.js';
import type { TopicHub } from '../topic-hub.js';
import { Mutex } from '../topic-hub.js';
import { invalidArgument, withErrorMapping } from './errors.js';
import { responsePaging, toPageQuery } from './paging.js';

/** Most items one request may carry (node-go's commit-log limits are 10 writes / 20 queries). */
export const LIMITS = {
  groupMessagesPerRequest: 1000,
  welcomesPerRequest: 1000,
  keyPackagesPerFetch: 1000,
  groupsPerNewestQuery: 1000,
  filtersPerSubscription: 10_000,
  commitLogPublishes: 10,
  commitLogQueries: 20,
} as const;

export interface MlsApiDeps {
  readonly store: Store;
  readonly groupHub: TopicHub<StoredGroupMessage>;
  readonly welcomeHub: TopicHub<StoredWelcomeMessage>;
  /** Unix seconds, for key-package lifetimes. */
  readonly now: () => number;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function createMlsApi(deps: MlsApiDeps): Partial<ServiceImpl<typeof MlsApi>> {
  const groupWrites = new Mutex();
  const welcomeWrites = new Mutex();

  const impl: Partial<ServiceImpl<typeof MlsApi>> = {
    async sendGroupMessages(req) {
      if (req.messages.length === 0) throw invalidArgument('no messages to send');
      if (req.messages.length > LIMITS.groupMessagesPerRequest) {
        throw invalidArgument(`too many messages: ${req.messages.length} (at most ${LIMITS.groupMessagesPerRequest})`);
      }
      const rows = req.messages.map((m, i) => toNewGroupMessage(m, i));
      await groupWrites.run(async () => {
        const stored = await deps.store.insertGroupMessages(rows);
        for (const row of stored) deps.groupHub.publish(hex(row.groupId), row);
      });
      return {};
    },

    async sendWelcomeMessages(req) {
      if (req.messages.length === 0) throw invalidArgument('no welcome messages to send');
      if (req.messages.length > LIMITS.welcomesPerRequest) {
        throw invalidArgument(`too many welcome messages: ${req.messages.length} (at most ${LIMITS.welcomesPerRequest})`);
      }
      const rows = req.messages.map((m, i) => toNewWelcome(m, i));
      await welcomeWrites.run(async () => {
        const stored = await deps.store.insertWelcomeMessages(rows);
        for (const row of stored) deps.welcomeHub.publish(hex(row.installationKey), row);
      });
      return {};
    },

    async uploadKeyPackage(req) {
      const bytes = req.keyPackage?.keyPackageTlsSerialized;
      if (!bytes || bytes.length === 0) throw invalidArgument('missing key package');
      const parsed = verifyKeyPackage(bytes, { nowSeconds: deps.now() });
      await deps.store.upsertKeyPackage(parsed.installationKey, bytes);
      return {};
    },

    async fetchKeyPackages(req) {
      if (req.installationKeys.length > LIMITS.keyPackagesPerFetch) {
        throw invalidArgument(`too many installation keys: ${req.installationKeys.length} (at most ${LIMITS.keyPackagesPerFetch})`);
      }
      const found = await deps.store.fetchKeyPackages(req.installationKeys);
      return {
        keyPackages: found.map((kp) => create(FetchKeyPackagesResponse_KeyPackageSchema, { keyPackageTlsSerialized: kp ?? new Uint8Array() })),
      };
    },

    async queryGroupMessages(req) {
      if (req.groupId.length === 0) throw invalidArgument('missing group id');
      const page = toPageQuery(req.pagingInfo);
      const rows = await deps.store.queryGroupMessages(req.groupId, page);
      return { messages: rows.map((r) => groupMessage(r)), pagingInfo: responsePaging(page, rows.map((r) => r.id)) };
    },

    async queryWelcomeMessages(req) {
      if (req.installationKey.length === 0) throw invalidArgument('missing installation key');
      const page = toPageQuery(req.pagingInfo);
      const rows = await deps.store.queryWelcomeMessages(req.installationKey, page);
      return { messages: rows.map(welcomeMessage), pagingInfo: responsePaging(page, rows.map((r) => r.id)) };
    },

    async getNewestGroupMessage(req) {
      if (req.groupIds.length > LIMITS.groupsPerNewestQuery) {
        throw invalidArgument(`too many group ids: ${req.groupIds.length} (at most ${LIMITS.groupsPerNewestQuery})`);
      }
      const newest = await deps.store.newestGroupMessages(req.groupIds);
      return {
        responses: newest.map((row) => ({ groupMessage: row ? groupMessage(row, req.includeContent) : undefined })),
      };
    },

    async *subscribeGroupMessages(req, ctx) {
      if (req.filters.length > LIMITS.filtersPerSubscription) throw invalidArgument('too many filters');
      yield* replayThenLive(
        deps.groupHub,
        req.filters.map((f) => ({ topic: hex(f.groupId), cursor: f.idCursor, key: f.groupId })),
        (key, page) => deps.store.queryGroupMessages(key, page),
        (row) => groupMessage(row),
        ctx.signal,
      );
    },

    async *subscribeWelcomeMessages(req, ctx) {
      if (req.filters.length > LIMITS.filtersPerSubscription) throw invalidArgument('too many filters');
      yield* replayThenLive(
        deps.welcomeHub,
        req.filters.map((f) => ({ topic: hex(f.installationKey), cursor: f.idCursor, key: f.installationKey })),
        (key, page) => deps.store.queryWelcomeMessages(key, page),
        welcomeMessage,
        ctx.signal,
      );
    },

    async batchPublishCommitLog(req) {
      if (req.requests.length > LIMITS.commitLogPublishes) {
        throw invalidArgument(`too many commit log entries: ${req.requests.length} (at most ${LIMITS.commitLogPublishes})`);
      }
      const entries = req.requests.map((r, i) => {
        if (r.groupId.length === 0) throw invalidArgument(`entry ${i}: missing group id`);
        if (r.serializedCommitLogEntry.length === 0) throw invalidArgument(`entry ${i}: empty commit log entry`);
        return {
          groupId: r.groupId,
          serializedEntry: r.serializedCommitLogEntry,
          signature: r.signature ? toBinarySignature(r.signature) : new Uint8Array(),
        };
      });
      if (entries.length > 0) await deps.store.insertCommitLogEntries(entries);
      return {};
    },

    async batchQueryCommitLog(req) {
      if (req.requests.length > LIMITS.commitLogQueries) {
        throw invalidArgument(`too many commit log queries: ${req.requests.length} (at most ${LIMITS.commitLogQueries})`);
      }
      const responses = [];
      for (const q of req.requests) {
        const page = toPageQuery(q.pagingInfo);
        const rows = q.groupId.length === 0 ? [] : await deps.store.queryCommitLog(q.groupId, page);
        responses.push({
          groupId: q.groupId,
          commitLogEntries: rows.map((r) => ({
            sequenceId: r.sequenceId,
            serializedCommitLogEntry: r.serializedEntry,
            signature: r.signature.length > 0 ? fromBinarySignature(r.signature) : undefined,
          })),
          pagingInfo: responsePaging(page, rows.map((r) => r.sequenceId)),
        });
      }
      return { responses };
    },
  };
  return withErrorMapping(impl);
}

const toBinarySignature = (s: RecoverableEd25519Signature) => toBinary(RecoverableEd25519SignatureSchema, s);
const fromBinarySignature = (b: Uint8Array) => fromBinary(RecoverableEd25519SignatureSchema, b);

function toNewGroupMessage(input: GroupMessageInput, index: number): NewGroupMessage {
  if (input.version.case !== 'v1') throw invalidArgument(`message ${index}: missing v1`);
  const v1 = input.version.value;
  if (v1.data.length === 0) throw invalidArgument(`message ${index}: empty data`);
  let framing;
  try {
    framing = readGroupMessageFraming(v1.data);
  } catch (e) {
    throw invalidArgument(`message ${index}: ${(e as Error).message}`);
  }
  return { groupId: framing.groupId, data: v1.data, senderHmac: v1.senderHmac, shouldPush: v1.shouldPush, isCommit: framing.isCommit };
}

function toNewWelcome(input: WelcomeMessageInput, index: number): NewWelcomeMessage {
  const at = `welcome ${index}`;
  if (input.version.case === 'v1') {
    const v = input.version.value;
    if (v.installationKey.length === 0) throw invalidArgument(`${at}: missing installation key`);
    if (v.data.length === 0) throw invalidArgument(`${at}: empty data`);
    if (v.hpkePublicKey.length === 0 && v.wrapperAlgorithm !== WelcomeWrapperAlgorithm.SYMMETRIC_KEY) {
      throw invalidArgument(`${at}: missing HPKE public key`);
    }
    return {
      kind: 'v1',
      installationKey: v.installationKey,
      data: v.data,
      hpkePublicKey: v.hpkePublicKey,
      wrapperAlgorithm: v.wrapperAlgorithm,
      welcomeMetadata: v.welcomeMetadata,
    };
  }
  if (input.version.case === 'welcomePointer') {
    const p = input.version.value;
    if (p.installationKey.length === 0) throw invalidArgument(`${at}: missing installation key`);
    if (p.welcomePointer.length === 0) throw invalidArgument(`${at}: empty welcome pointer`);
    if (p.hpkePublicKey.length === 0) throw invalidArgument(`${at}: missing HPKE public key`);
    if (p.wrapperAlgorithm !== WelcomePointerWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6) {
      throw invalidArgument(`${at}: unsupported welcome pointer wrapper algorithm ${p.wrapperAlgorithm}`);
    }
    return {
      kind: 'pointer',
      installationKey: p.installationKey,
      welcomePointer: p.welcomePointer,
      hpkePublicKey: p.hpkePublicKey,
      wrapperAlgorithm: p.wrapperAlgorithm,
    };
  }
  throw invalidArgument(`${at}: missing version`);
}

function groupMessage(row: StoredGroupMessage, includeContent = true): GroupMessage {
  return create(GroupMessageSchema, {
    version: {
      case: 'v1',
      value: {
        id: row.id,
        createdNs: row.createdNs,
        groupId: row.groupId,
        data: includeContent ? row.data : new Uint8Array(),
        senderHmac: row.senderHmac,
        shouldPush: row.shouldPush,
        isCommit: row.isCommit,
      },
    },
  });
}

function welcomeMessage(row: StoredWelcomeMessage): WelcomeMessage {
  if (row.kind === 'pointer') {
    return create(WelcomeMessageSchema, {
      version: {
        case: 'welcomePointer',
        value: {
          id: row.id,
          createdNs: row.createdNs,
          installationKey: row.installationKey,
          welcomePointer: row.welcomePointer,
          hpkePublicKey: row.hpkePublicKey,
          wrapperAlgorithm: row.wrapperAlgorithm,
        },
      },
    });
  }
  return create(WelcomeMessageSchema, {
    version: {
      case: 'v1',
      value: {
        id: row.id,
        createdNs: row.createdNs,
        installationKey: row.installationKey,
        data: row.data,
        hpkePublicKey: row.hpkePublicKey,
        wrapperAlgorithm: row.wrapperAlgorithm,
        welcomeMetadata: row.welcomeMetadata,
      },
    },
  });
}

interface StreamFilter {
  readonly topic: string;
  readonly cursor: bigint;
  readonly key: Uint8Array;
}

/**
 * Subscribes to live items first, then replays each topic's stored items after its cursor (ASC, page
 * by page), then forwards live items. A per-topic high-water mark drops what the replay already
 * sent, so the switch has neither a gap nor a duplicate.
 */
async function* replayThenLive<Row extends { id: bigint }, Out>(
  hub: TopicHub<Row>,
  filters: readonly StreamFilter[],
  query: (key: Uint8Array, page: PageQuery) => Promise<Row[]>,
  toMessage: (row: Row) => Out,
  signal: AbortSignal,
): AsyncGenerator<Out> {
  const live = hub.subscribe(
    filters.map((f) => f.topic),
    signal,
  );
  try {
    const highWater = new Map<string, bigint>();
    for (const f of filters) {
      let cursor = f.cursor;
      const previous = highWater.get(f.topic);
      if (previous !== undefined && previous >= cursor) continue; // same topic twice
      for (;;) {
        const rows = await query(f.key, { direction: 'asc', limit: 100, cursor });
        for (const row of rows) yield toMessage(row);
        if (rows.length > 0) cursor = rows[rows.length - 1]!.id;
        if (rows.length < 100) break;
      }
      highWater.set(f.topic, cursor);
    }
    for (;;) {
      const next = await live.next();
      if (!next) return;
      const seen = highWater.get(next.topic) ?? 0n;
      if (next.item.id <= seen) continue;
      highWater.set(next.topic, next.item.id);
      yield toMessage(next.item);
    }
  } finally {
    live.close();
  }
}
