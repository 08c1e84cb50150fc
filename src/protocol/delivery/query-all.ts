/**
 * Reads a topic's history after a cursor, oldest first, page by page (100 per page, the network's
 * maximum) until a short page — libxmtp's sync loop. Pure; runs everywhere.
 */
import { SortDirection, type GroupMessage, type WelcomeMessage } from '../../gen/mls/api/v1/mls_pb.js';
import type { XmtpApi } from './create-xmtp-api.js';

export const PAGE_SIZE = 100;

/** The id of a stored group message or welcome, whatever its version. */
export function envelopeId(message: GroupMessage | WelcomeMessage): bigint {
  const v = message.version.value;
  if (!v) throw new TypeError('message without a version');
  return v.id;
}

export async function* queryGroupMessagesAfter(api: Pick<XmtpApi, 'mls'>, groupId: Uint8Array, cursor: bigint, signal?: AbortSignal): AsyncGenerator<GroupMessage> {
  for (let after = cursor; ; ) {
    const { messages } = await api.mls.queryGroupMessages(
      { groupId, pagingInfo: { direction: SortDirection.ASCENDING, limit: PAGE_SIZE, idCursor: after } },
      signal ? { signal } : {},
    );
    for (const m of messages) yield m;
    if (messages.length < PAGE_SIZE) return;
    after = envelopeId(messages[messages.length - 1]!);
  }
}

export async function* queryWelcomeMessagesAfter(api: Pick<XmtpApi, 'mls'>, installationKey: Uint8Array, cursor: bigint, signal?: AbortSignal): AsyncGenerator<WelcomeMessage> {
  for (let after = cursor; ; ) {
    const { messages } = await api.mls.queryWelcomeMessages(
      { installationKey, pagingInfo: { direction: SortDirection.ASCENDING, limit: PAGE_SIZE, idCursor: after } },
      signal ? { signal } : {},
    );
    for (const m of messages) yield m;
    if (messages.length < PAGE_SIZE) return;
    after = envelopeId(messages[messages.length - 1]!);
  }
}
