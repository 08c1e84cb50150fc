/**
 * `app.status`: what the background reports about itself to the popup. Runs in the service worker.
 */
import { IdentityApi } from '../gen/identity/api/v1/identity_pb.js';
import { MlsApi } from '../gen/mls/api/v1/mls_pb.js';
import type { BackgroundStatus } from '../messaging/popup-protocol.js';

export interface StatusDeps {
  readonly extensionVersion: string;
  readonly instanceId: string;
  readonly startedAt: number;
}

/** The libxmtp release (as shipped in @xmtp/node-sdk 6.0.0) whose wire behaviour we match. */
export const COMPATIBLE_LIBXMTP = 'libxmtp 1.10';

export function getStatus(deps: StatusDeps): BackgroundStatus {
  return {
    product: 'XMTP Messenger',
    extensionVersion: deps.extensionVersion,
    instanceId: deps.instanceId,
    startedAt: deps.startedAt,
    services: [MlsApi.typeName, IdentityApi.typeName],
    compatibleWith: COMPATIBLE_LIBXMTP,
  };
}
