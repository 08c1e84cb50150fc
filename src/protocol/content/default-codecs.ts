/**
 * The standard content types libxmtp 1.10 (node-sdk 6.0.0) sends and reads, and a registry of them.
 * Pure; runs everywhere.
 */
import { actionsCodec } from './actions-codec.js';
import { attachmentCodec } from './attachment-codec.js';
import type { ContentCodec } from './content-codec.js';
import { type ContentRegistry, createContentRegistry } from './content-registry.js';
import { deleteMessageCodec } from './delete-message-codec.js';
import { groupUpdatedCodec } from './group-updated-codec.js';
import { intentCodec } from './intent-codec.js';
import { leaveRequestCodec } from './leave-request-codec.js';
import { markdownCodec } from './markdown-codec.js';
import { multiRemoteAttachmentCodec } from './multi-remote-attachment-codec.js';
import { reactionCodec } from './reaction-codec.js';
import { reactionV1Codec } from './reaction-v1-codec.js';
import { readReceiptCodec } from './read-receipt-codec.js';
import { remoteAttachmentCodec } from './remote-attachment-codec.js';
import { replyCodec } from './reply-codec.js';
import { textCodec } from './text-codec.js';
import { transactionReferenceCodec } from './transaction-reference-codec.js';
import { walletSendCallsCodec } from './wallet-send-calls-codec.js';

export const defaultCodecs: readonly ContentCodec<unknown>[] = Object.freeze([
  textCodec,
  markdownCodec,
  reactionCodec,
  reactionV1Codec,
  replyCodec,
  readReceiptCodec,
  attachmentCodec,
  remoteAttachmentCodec,
  multiRemoteAttachmentCodec,
  transactionReferenceCodec,
  walletSendCallsCodec,
  actionsCodec,
  intentCodec,
  leaveRequestCodec,
  deleteMessageCodec,
  groupUpdatedCodec,
]);

/** The standard codecs, then `codecs` (which override a standard codec of the same type). */
export function createDefaultContentRegistry(codecs: readonly ContentCodec<unknown>[] = []): ContentRegistry {
  return createContentRegistry([...defaultCodecs, ...codecs]);
}
