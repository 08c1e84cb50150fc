/**
 * Creates a DM with another inbox as libxmtp does (xmtp-wire.md §5.5): DM metadata with both
 * members, the DM policy set, then `createConversation` (one Add+GCE commit adding every
 * installation of the peer and our other installations, welcomes per installation). Pure; runs
 * everywhere.
 *
 * Key-package checks and storage guarantees: see `createConversation` / `resolveInstallations`.
 * Returns the existing DM when we already have one with that inbox.
 */
import type { XmtpClient } from '../client.js';
import { XmtpError } from '../errors.js';
import { CommitErrorCodes } from './commit-pieces.js';
import { createConversation } from './create-conversation.js';
import { dmGroupsWith } from './dm-stitching.js';
import { dmGroupExtensions } from './group-extensions.js';

export const CreateDmErrorCodes = CommitErrorCodes;

export interface CreateDmParameters {
  readonly peerInboxId: string;
}

export interface CreateDmReturnType {
  /** Hex group id. */
  readonly id: string;
  readonly groupId: Uint8Array;
  /** Whether a new DM was created (false: we already had one). */
  readonly created: boolean;
  /** Installations added, and those whose key package failed (hex). */
  readonly addedInstallations: string[];
  readonly failedInstallations: string[];
}

export async function createDm(client: XmtpClient, { peerInboxId }: CreateDmParameters): Promise<CreateDmReturnType> {
  if (!/^[0-9a-f]{64}$/.test(peerInboxId) || peerInboxId === client.inboxId) {
    throw new XmtpError(CreateDmErrorCodes.invalidPeer, `Not an inbox id to DM: ${peerInboxId}`);
  }
  return client.lock(`dm:${peerInboxId}`, async () => {
    const [existing] = await dmGroupsWith(client, peerInboxId); // the most active, if several (stitching)
    if (existing) return { id: existing.key, groupId: existing.value.groupId, created: false, addedInstallations: [], failedInstallations: [] };
    const created = await createConversation(client, {
      kind: 'dm',
      extensions: dmGroupExtensions({ creatorInboxId: client.inboxId, peerInboxId }),
      memberInboxIds: [peerInboxId],
      dmPeerInboxId: peerInboxId,
    });
    return { ...created, created: true };
  });
}
