/**
 * Joins every conversation this installation was invited to since the last sync: pulls welcomes
 * after the stored welcome cursor, unwraps each with the key package it names (`hpke_public_key`),
 * joins with ts-mls (lifetimes not checked, as libxmtp's `skip_lifetime_validation`), validates the
 * membership (`validateWelcomeMembership`), reads the conversation type from 0xF000 and stores the
 * group with its message cursor from WelcomeMetadata. Pure; runs everywhere.
 *
 * Guarantees: the group and the advanced welcome cursor are written in one transaction. A welcome
 * that cannot be used (unknown key, bad HPKE, invalid group, a pointer — not supported yet) is
 * skipped and the cursor moves past it, as libxmtp does for non-retryable failures; a network error
 * stops the sync without moving the cursor.
 *
 * Key packages (libxmtp 1.10's `sync_welcomes`): a sync that received any welcome queues a key-package
 * rotation (5 s later); every sync then runs the rotation check (`rotateKeyPackageIfDue`), whose
 * failure is reported in `rotationError` without failing the sync.
 */
import { ConnectError } from '@connectrpc/connect';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decode, joinGroup, mlsMessageDecoder, wireformats } from 'ts-mls';
import type { WelcomeMessage } from '../../gen/mls/api/v1/mls_pb.js';
import { ConversationType } from '../../gen/mls/message_contents/group_metadata_pb.js';
import { ClientTables, keyPackageStoreKey, type StoredKeyPackage, type XmtpClient } from '../client.js';
import { envelopeId, queryWelcomeMessagesAfter } from '../delivery/query-all.js';
import { XmtpError } from '../errors.js';
import { queueKeyPackageRotation, rotateKeyPackageIfDue } from '../key-package-rotation.js';
import { decodeKeyPackageSecrets, toPrivateKeyPackage } from '../mls/create-key-package.js';
import { parseKeyPackage } from '../mls/key-package.js';
import { decodeWelcomeMetadata, unwrapWelcome, wrapperAlgorithmFromWire } from '../mls/welcome-wrapper.js';
import { ConversationTables, encodeClientState, groupKey, type StoredGroup } from './conversation-store.js';
import { readGroupMetadata } from './group-extensions.js';
import { validateWelcomeMembership } from './validate-welcome-membership.js';

export const SyncWelcomesErrorCodes = {
  unknownKeyPackage: 'conversations.welcome_unknown_key_package',
  notAWelcome: 'conversations.welcome_not_a_welcome',
  unsupported: 'conversations.welcome_unsupported',
} as const;

export interface SyncWelcomesReturnType {
  /** Hex group ids joined by this sync. */
  readonly joined: string[];
  /** Welcomes skipped, with why. */
  readonly skipped: { readonly id: bigint; readonly error: XmtpError }[];
  /** Set when the key-package rotation check after the sync failed (it is retried on the next sync). */
  readonly rotationError?: XmtpError;
}

export const WELCOME_CURSOR = 'welcomeCursor';

export async function syncWelcomes(client: XmtpClient): Promise<SyncWelcomesReturnType> {
  return client.lock('welcomes', async () => {
    const joined: string[] = [];
    const skipped: { id: bigint; error: XmtpError }[] = [];
    const cursor = (await client.store.get<bigint>(ConversationTables.client, WELCOME_CURSOR)) ?? 0n;
    let received = 0;
    for await (const message of queryWelcomeMessagesAfter(client.api, client.installation.publicKey, cursor)) {
      if (received++ === 0) await queueKeyPackageRotation(client); // a key package of ours is being used
      const id = envelopeId(message);
      let group: StoredGroup | undefined;
      try {
        group = await joinFromWelcome(client, message.version);
      } catch (error) {
        if (error instanceof ConnectError) throw error;
        skipped.push({ id, error: XmtpError.from(error) });
      }
      await client.store.transaction((tx) => {
        if (group) tx.put(ConversationTables.groups, groupKey(group.groupId), group);
        tx.put(ConversationTables.client, WELCOME_CURSOR, id);
      });
      if (group) joined.push(groupKey(group.groupId));
    }
    const rotationError = await rotateKeyPackageIfDue(client).then(
      () => undefined,
      (error: unknown) => XmtpError.from(error),
    );
    return { joined, skipped, ...(rotationError ? { rotationError } : {}) };
  });
}

async function joinFromWelcome(
  client: XmtpClient,
  version: WelcomeMessage['version'],
): Promise<StoredGroup | undefined> {
  if (version.case !== 'v1') throw new XmtpError(SyncWelcomesErrorCodes.unsupported, `Welcome ${version.case ?? 'without a version'} is not supported`);
  const welcome = version.value;
  const stored = await client.store.get<StoredKeyPackage>(ClientTables.keyPackages, keyPackageStoreKey(welcome.hpkePublicKey));
  if (!stored) throw new XmtpError(SyncWelcomesErrorCodes.unknownKeyPackage, `No key package of ours has HPKE key ${bytesToHex(welcome.hpkePublicKey).slice(0, 16)}…`);
  const algorithm = wrapperAlgorithmFromWire(welcome.wrapperAlgorithm);
  if (algorithm !== stored.algorithm) throw new XmtpError(SyncWelcomesErrorCodes.unsupported, `Welcome wrapped with ${algorithm} to a ${stored.algorithm} key`);
  const unwrapped = await unwrapWelcome({ data: welcome.data, welcomeMetadata: welcome.welcomeMetadata, algorithm, privateKey: stored.wrapperPrivateKey });
  const mlsMessage = decode(mlsMessageDecoder, unwrapped.welcome);
  if (!mlsMessage || mlsMessage.wireformat !== wireformats.mls_welcome) throw new XmtpError(SyncWelcomesErrorCodes.notAWelcome, 'The wrapped payload is not an MLS Welcome');
  const keyPackage = parseKeyPackage(stored.keyPackage).keyPackage;
  const state = await joinGroup({
    context: client.mls,
    welcome: mlsMessage.welcome,
    keyPackage,
    privateKeys: toPrivateKeyPackage(decodeKeyPackageSecrets(stored.secrets), client.installation.secretKey),
  });
  const groupId = state.groupContext.groupId;
  if (await client.store.get(ConversationTables.groups, groupKey(groupId))) return undefined; // already joined
  await validateWelcomeMembership(client.api.identity, state);
  const metadata = readGroupMetadata(state.groupContext.extensions);
  const isDm = metadata.conversationType === ConversationType.DM;
  if (!isDm && metadata.conversationType !== ConversationType.GROUP) {
    throw new XmtpError(SyncWelcomesErrorCodes.unsupported, `Conversation type ${metadata.conversationType} is not supported`);
  }
  let dmPeerInboxId: string | undefined;
  if (isDm) {
    const members = [metadata.dmMembers?.dmMemberOne?.inboxId, metadata.dmMembers?.dmMemberTwo?.inboxId];
    if (!members.includes(client.inboxId)) throw new XmtpError(SyncWelcomesErrorCodes.unsupported, 'A DM whose members do not include us');
    dmPeerInboxId = members.find((m) => m !== client.inboxId) ?? client.inboxId;
  }
  const messageCursor = unwrapped.metadata ? decodeWelcomeMetadata(unwrapped.metadata).messageCursor : 0n;
  return {
    groupId,
    state: encodeClientState(state),
    cursor: messageCursor,
    kind: isDm ? 'dm' : 'group',
    ...(dmPeerInboxId ? { dmPeerInboxId } : {}),
    createdAtNs: client.clock.nowNs(),
    addedByInboxId: metadata.creatorInboxId,
  };
}
