/**
 * Live messages from every conversation, as libxmtp's `streamAllMessages`: the node's group-message
 * stream for every conversation we are in plus the welcome stream for this installation. Each
 * streamed envelope triggers a sync of its conversation from the stored cursor (so commits,
 * ordering, own-echo skipping and the outbox work exactly as in `syncGroup`), and the messages that
 * sync stored are yielded; a welcome joins the conversation (`syncWelcomes`), yields what is already
 * in it, and restarts the group stream to include it. Streams are assumed to break: they reconnect
 * from the stored cursors (`follow-topics.ts`), and since the node replays everything after a
 * cursor, nothing is missed. Messages we sent from this installation are not yielded. Pure; runs
 * everywhere.
 *
 * Ends when `signal` aborts (the generator then returns) or the consumer stops iterating.
 */
import type { XmtpClient } from '../client.js';
import { envelopeId } from '../delivery/query-all.js';
import { followGroupMessages, followWelcomeMessages } from '../delivery/follow-topics.js';
import { XmtpError } from '../errors.js';
import { ConversationTables, groupKey, type StoredGroup } from './conversation-store.js';
import { getMessage, type DecodedMessage } from './list-messages.js';
import { syncGroup } from './sync-group.js';
import { syncWelcomes, WELCOME_CURSOR } from './sync-welcomes.js';

export interface StreamMessagesParameters {
  readonly signal: AbortSignal;
  /** Told about each failure (a broken stream before it reconnects, a sync that failed); streaming goes on. */
  readonly onError?: (error: XmtpError) => void;
  /** First reconnect delay in ms (doubles up to 30 s). */
  readonly reconnectDelayMs?: number;
}

export async function* streamMessages(client: XmtpClient, params: StreamMessagesParameters): AsyncGenerator<DecodedMessage> {
  const stop = new AbortController(); // the consumer may stop iterating without aborting its signal
  const signal = AbortSignal.any([params.signal, stop.signal]);
  const queue = new MessageQueue(signal);
  const report = (error: unknown) => params.onError?.(XmtpError.from(error));
  const follow = { signal, onReconnect: report, ...(params.reconnectDelayMs === undefined ? {} : { initialDelayMs: params.reconnectDelayMs }) };

  const syncAndQueue = async (groupId: Uint8Array): Promise<void> => {
    try {
      const { received } = await syncGroup(client, { groupId });
      for (const id of received) {
        const message = await getMessage(client, { id });
        if (message) queue.push(message);
      }
    } catch (error) {
      report(error);
    }
  };

  let groups = new AbortController();
  const followGroups = async (stop: AbortSignal): Promise<void> => {
    const records = await client.store.list<StoredGroup>(ConversationTables.groups);
    const topics = records.map(({ value }) => ({ groupId: value.groupId, cursor: value.cursor }));
    if (topics.length === 0) return;
    for await (const envelope of followGroupMessages(client.api, topics, { ...follow, signal: stop })) {
      if (envelope.version.case !== 'v1') continue;
      const { groupId } = envelope.version.value;
      const record = await client.store.get<StoredGroup>(ConversationTables.groups, groupKey(groupId));
      if (record && envelopeId(envelope) <= record.cursor) continue; // an earlier sync already read it
      await syncAndQueue(groupId);
    }
  };
  const restartGroups = (): void => {
    groups.abort();
    groups = new AbortController();
    void followGroups(AbortSignal.any([signal, groups.signal])).catch(report);
  };

  const followWelcomes = async (): Promise<void> => {
    const cursor = (await client.store.get<bigint>(ConversationTables.client, WELCOME_CURSOR)) ?? 0n;
    for await (const welcome of followWelcomeMessages(client.api, [{ installationKey: client.installation.publicKey, cursor }], follow)) {
      const stored = (await client.store.get<bigint>(ConversationTables.client, WELCOME_CURSOR)) ?? 0n;
      if (envelopeId(welcome) <= stored) continue;
      let joined: string[] = [];
      try {
        joined = (await syncWelcomes(client)).joined;
      } catch (error) {
        report(error);
      }
      if (joined.length === 0) continue;
      restartGroups();
      for (const id of joined) {
        const record = await client.store.get<StoredGroup>(ConversationTables.groups, id);
        if (record) await syncAndQueue(record.groupId);
      }
    }
  };

  restartGroups();
  void followWelcomes().catch(report);
  try {
    for (;;) {
      const next = await queue.next();
      if (next === undefined) return;
      yield next;
    }
  } finally {
    stop.abort();
  }
}

/** Messages waiting to be yielded; `next` resolves undefined once the signal aborts. */
class MessageQueue {
  private readonly items: DecodedMessage[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  push(message: DecodedMessage): void {
    this.items.push(message);
    this.wake?.();
  }

  async next(): Promise<DecodedMessage | undefined> {
    while (this.items.length === 0) {
      if (this.signal.aborted) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    return this.items.shift();
  }
}
