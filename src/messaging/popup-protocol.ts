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

export type PopupMethods = {
  readonly 'app.status': MethodSpec<Record<string, never>, BackgroundStatus>;
  readonly 'identity.create': MethodSpec<IdentityCreateParams, IdentitySummary>;
  readonly 'identity.get': MethodSpec<Record<string, never>, IdentitySummary | null>;
};

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
  },
} as const satisfies ChannelDefinition<PopupMethods>;
