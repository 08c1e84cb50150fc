/**
 * The popup ↔ background channel: every method the popup may call, its params and result.
 * Shared by the popup (caller) and the background (router); pure types and validators.
 */
import { ErrorCodes, XmtpError } from '../protocol/errors.js';
import type { ChannelDefinition, MethodSpec } from './channel.js';
import { noParams, objectParams } from './validate.js';

/** What the background reports about itself. */
export interface BackgroundStatus {
  readonly product: string;
  readonly extensionVersion: string;
  /** Random per service-worker start; changes when Chrome restarts the worker. */
  readonly instanceId: string;
  readonly startedAt: number;
  /** The XMTP services the background speaks, by fully-qualified protobuf name. */
  readonly services: readonly string[];
  /** The libxmtp release whose wire behaviour we match. */
  readonly compatibleWith: string;
}

/** This browser's XMTP identity, as the popup may see it: ids only, never a key. */
export interface IdentitySummary {
  /** 64 lowercase hex characters. */
  readonly inboxId: string;
  /** The wallet address, lowercase 0x-hex. */
  readonly address: string;
  /** The installation's Ed25519 public key, 64 lowercase hex characters. */
  readonly installationId: string;
  /** The node URL the identity is registered on. */
  readonly network: string;
}

export interface IdentityCreateParams {
  /** A network name (`local`, `dev`, `production`) or a node URL (`http(s)://host[:port]`). */
  readonly network: string;
}

/** What `conversations.sync` did: welcomes joined, conversations synced, messages received. */
export interface ConversationsSyncResult {
  readonly joined: number;
  readonly conversations: number;
  readonly messages: number;
  /** Welcomes and envelopes that could not be processed (ours excluded). */
  readonly skipped: number;
}

/** A conversation as the popup may see it: ids only. */
export interface ConversationInfo {
  /** Hex group id. */
  readonly id: string;
  readonly kind: 'dm' | 'group';
  /** The other member's inbox id (DMs), else null. */
  readonly peerInboxId: string | null;
  readonly memberInboxIds: readonly string[];
  readonly name: string;
  readonly isActive: boolean;
  /** Nanoseconds since the Unix epoch, as a decimal string. */
  readonly createdAtNs: string;
}

/** A message as the popup may see it: ids, sender, content type and text only. */
export interface MessageInfo {
  readonly id: string;
  readonly conversationId: string;
  readonly senderInboxId: string;
  /** Nanoseconds since the Unix epoch, as a decimal string. */
  readonly sentAtNs: string;
  /** `authority/type:major.minor`, or null when the content names none. */
  readonly contentType: string | null;
  /** The text for text content (else the sender's fallback text), or null. */
  readonly text: string | null;
}

export interface ConversationDmParams {
  /** An inbox id (64 lowercase hex characters) or an Ethereum address (0x + 40 hex). */
  readonly peer: string;
}

export interface ConversationParams {
  readonly conversationId: string;
}

export interface MessageSendParams {
  readonly conversationId: string;
  readonly text: string;
}

export type PopupMethods = {
  readonly 'app.status': MethodSpec<Record<string, never>, BackgroundStatus>;
  readonly 'identity.create': MethodSpec<IdentityCreateParams, IdentitySummary>;
  readonly 'identity.get': MethodSpec<Record<string, never>, IdentitySummary | null>;
  readonly 'conversations.sync': MethodSpec<Record<string, never>, ConversationsSyncResult>;
  readonly 'conversations.list': MethodSpec<Record<string, never>, ConversationInfo[]>;
  readonly 'conversations.dm': MethodSpec<ConversationDmParams, { readonly conversationId: string; readonly created: boolean }>;
  readonly 'messages.list': MethodSpec<ConversationParams, MessageInfo[]>;
  readonly 'messages.send': MethodSpec<MessageSendParams, { readonly messageId: string }>;
};

/** Longest text `messages.send` accepts (characters). */
export const MAX_TEXT_LENGTH = 100_000;

function exactParams(input: unknown, keys: readonly string[]): Record<string, unknown> {
  const params = objectParams(input);
  const extra = Object.keys(params).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw invalid(`unexpected params: ${extra.join(', ')}`);
  return params;
}

function conversationIdOf(value: unknown): string {
  if (typeof value !== 'string' || !/^(?:[0-9a-f]{2}){1,64}$/.test(value)) {
    throw invalid('conversationId must be a hex group id (lowercase, at most 64 bytes)');
  }
  return value;
}

/** `{ peer }`: an inbox id, or an Ethereum address (normalized to lowercase). */
export function conversationDmParams(input: unknown): ConversationDmParams {
  const { peer } = exactParams(input, ['peer']);
  if (typeof peer === 'string' && /^[0-9a-f]{64}$/.test(peer)) return { peer };
  if (typeof peer === 'string' && /^0x[0-9a-fA-F]{40}$/.test(peer)) return { peer: peer.toLowerCase() };
  throw invalid('peer must be an inbox id (64 lowercase hex characters) or an Ethereum address (0x + 40 hex)');
}

/** `{ conversationId }`. */
export function conversationParams(input: unknown): ConversationParams {
  const { conversationId } = exactParams(input, ['conversationId']);
  return { conversationId: conversationIdOf(conversationId) };
}

/** `{ conversationId, text }`: non-empty text of at most MAX_TEXT_LENGTH characters. */
export function messageSendParams(input: unknown): MessageSendParams {
  const { conversationId, text } = exactParams(input, ['conversationId', 'text']);
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT_LENGTH) {
    throw invalid(`text must be a non-empty string of at most ${MAX_TEXT_LENGTH} characters`);
  }
  return { conversationId: conversationIdOf(conversationId), text };
}

const NETWORK_NAMES = new Set(['local', 'dev', 'production']);

/** `{ network }`: a known network name, or an http(s) node URL without credentials, path or query. */
export function identityCreateParams(input: unknown): IdentityCreateParams {
  const params = objectParams(input);
  const extra = Object.keys(params).filter((k) => k !== 'network');
  if (extra.length > 0) throw invalid(`unexpected params: ${extra.join(', ')}`);
  const { network } = params;
  if (typeof network !== 'string' || network.length === 0 || network.length > 2048) {
    throw invalid('network must be a network name or a node URL');
  }
  if (NETWORK_NAMES.has(network)) return { network };
  let url: URL;
  try {
    url = new URL(network);
  } catch {
    throw invalid(`network is not a network name or a URL: ${network.slice(0, 100)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('network URL must be http: or https:');
  if (url.username || url.password) throw invalid('network URL must not contain credentials');
  if (url.pathname !== '/' || url.search || url.hash) throw invalid('network URL must be an origin (no path, query or fragment)');
  return { network: url.origin };
}

function invalid(message: string): XmtpError {
  return new XmtpError(ErrorCodes.invalidRequest, message);
}

export const popupChannel = {
  name: 'xmtp/popup',
  validators: {
    'app.status': noParams,
    'identity.create': identityCreateParams,
    'identity.get': noParams,
    'conversations.sync': noParams,
    'conversations.list': noParams,
    'conversations.dm': conversationDmParams,
    'messages.list': conversationParams,
    'messages.send': messageSendParams,
  },
} as const satisfies ChannelDefinition<PopupMethods>;
