import { describe, expect, test } from 'vitest';
import type { GroupMessage } from '../../gen/mls/api/v1/mls_pb.js';
import type { XmtpApi } from './create-xmtp-api.js';
import { followGroupMessages } from './follow-topics.js';

const GROUP = Uint8Array.of(1, 2, 3);
const message = (id: bigint) => ({ version: { case: 'v1', value: { id, groupId: GROUP } } }) as unknown as GroupMessage;

/** A transport whose streams deliver `ids`, then hang forever, deaf to the abort signal (as a stuck fetch body read). */
function stuckTransport(ids: bigint[]) {
  const calls: bigint[] = [];
  const api = {
    mls: {
      subscribeGroupMessages: (request: { filters: { idCursor: bigint }[] }) => {
        calls.push(request.filters[0]!.idCursor);
        return (async function* () {
          for (const id of ids) yield message(id);
          await new Promise(() => undefined);
        })();
      },
    },
  } as unknown as Pick<XmtpApi, 'mls'>;
  return { api, calls };
}

describe('followGroupMessages', () => {
  test('default: delivers the messages after the cursor, in order', async () => {
    const { api } = stuckTransport([1n, 2n, 3n]);
    const controller = new AbortController();
    const got: bigint[] = [];
    for await (const m of followGroupMessages(api, [{ groupId: GROUP, cursor: 1n }], { signal: controller.signal })) {
      got.push(m.version.value!.id);
      if (got.length === 2) break;
    }
    expect(got).toEqual([2n, 3n]);
  });

  test('behavior: an abort ends the stream at once even when the transport never settles after it', async () => {
    const { api } = stuckTransport([5n]);
    const controller = new AbortController();
    const got: bigint[] = [];
    const reading = (async () => {
      for await (const m of followGroupMessages(api, [{ groupId: GROUP, cursor: 0n }], { signal: controller.signal })) got.push(m.version.value!.id);
      return 'ended';
    })();
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const outcome = await Promise.race([reading, new Promise((r) => setTimeout(() => r('still waiting'), 1000))]);
    expect(outcome).toBe('ended');
    expect(got).toEqual([5n]);
  });

  test('behavior: already aborted, nothing is subscribed', async () => {
    const { api, calls } = stuckTransport([1n]);
    const controller = new AbortController();
    controller.abort();
    for await (const m of followGroupMessages(api, [{ groupId: GROUP, cursor: 0n }], { signal: controller.signal })) throw new Error(`unexpected ${m.version.case}`);
    expect(calls).toEqual([]);
  });
});
