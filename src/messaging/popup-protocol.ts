/**
 * The popup ↔ background channel: every method the popup may call, its params and result.
 * Shared by the popup (caller) and the background (router); pure types and validators.
 */
import type { ChannelDefinition, MethodSpec } from './channel.js';
import { noParams } from './validate.js';

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

export type PopupMethods = {
  readonly 'app.status': MethodSpec<Record<string, never>, BackgroundStatus>;
};

export const popupChannel = {
  name: 'xmtp/popup',
  validators: {
    'app.status': noParams,
  },
} as const satisfies ChannelDefinition<PopupMethods>;
