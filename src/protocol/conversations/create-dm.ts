/**
 * Creates a DM with another inbox as libxmtp does (xmtp-wire.md §5.1–5.5, §6): a new MLS group with
 * the DM's extensions in libxmtp's layout (T14; the creator at sequence id 0 in 0xFF01), then ONE
 * commit: an Add for every installation of the peer (and our other installations) whose key
 * package verifies, plus a GroupContextExtensions proposal setting 0xFF01 to every member inbox's
 * latest identity sequence id (real node sequence ids, hazard 5). The commit is published, its node
 * id read back for WelcomeMetadata.message_cursor, and each added installation gets a welcome
 * wrapped to its key package: X-Wing to the 0xFF03 key when present (algorithm 2), else X25519 to
 * the init key (algorithm 1). Pure; runs everywhere.
 *
 * Key-package checks: TLS parse, both signatures, lifetime, XMTP credential; the credential's inbox
 * must be the inbox we asked for, and the installation must be in that inbox's current association
 * state. Installations whose key package fails are listed in `failed_installations`.
 *
 * Guarantees: the group (state after the commit, cursor) and the commit's payload hash are stored
 * BEFORE the commit is published. Returns the existing DM when we already have one with that inbox.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  createCommit,
  createGroup,
  defaultProposalTypes,
  encode,
  mlsMessageEncoder,
  type KeyPackage,
  type Proposal,
} from 'ts-mls';
import { SortDirection } from '../../gen/mls/api/v1/mls_pb.js';
import type { XmtpClient } from '../client.js';
import { XmtpError } from '../errors.js';
import { getInstallationIds } from '../identity/association-state.js';
import { createXmtpKeyPackage, toPrivateKeyPackage } from '../mls/create-key-package.js';
import { verifyKeyPackage } from '../mls/key-package.js';
import { bytesEqual } from '../mls/tls.js';
import { encodeWelcomeMetadata, wrapWelcome, type WelcomeWrapperAlgorithmName } from '../mls/welcome-wrapper.js';
import { decodeWelcomeWrapperEncryption, WelcomeWrapperAlgorithm, XmtpExtensionTypes } from '../mls/xmtp-extensions.js';
import { ConversationTables, groupKey, payloadKey, saveGroup, type StoredGroup } from './conversation-store.js';
import { dmGroupExtensions, withGroupMembership } from './group-extensions.js';
import { associationStateAt, fetchInboxLogs } from './inbox-log.js';
import { senderHmac } from './sender-hmac.js';

export const CreateDmErrorCodes = {
  invalidPeer: 'conversations.invalid_dm_peer',
  noInstallations: 'conversations.no_installations',
  commitNotFound: 'conversations.commit_not_found',
} as const;

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

interface Recipient {
  readonly installationKey: Uint8Array;
  readonly keyPackage: KeyPackage;
  readonly algorithm: WelcomeWrapperAlgorithmName;
  readonly wrapperPublicKey: Uint8Array;
}

export async function createDm(client: XmtpClient, { peerInboxId }: CreateDmParameters): Promise<CreateDmReturnType> {
  if (!/^[0-9a-f]{64}$/.test(peerInboxId) || peerInboxId === client.inboxId) {
    throw new XmtpError(CreateDmErrorCodes.invalidPeer, `Not an inbox id to DM: ${peerInboxId}`);
  }
  return client.lock(`dm:${peerInboxId}`, async () => {
    const existing = (await client.store.list<StoredGroup>(ConversationTables.groups)).find((g) => g.value.kind === 'dm' && g.value.dmPeerInboxId === peerInboxId);
    if (existing) return { id: existing.key, groupId: existing.value.groupId, created: false, addedInstallations: [], failedInstallations: [] };

    // Members' installations (the peer's, and our other ones) and their latest sequence ids.
    const logs = await fetchInboxLogs(client.api.identity, [client.inboxId, peerInboxId]);
    const ourLog = logs.get(client.inboxId)!;
    const peerLog = logs.get(peerInboxId)!;
    const wanted: { inboxId: string; key: Uint8Array }[] = [];
    for (const log of [peerLog, ourLog]) {
      for (const key of getInstallationIds(await associationStateAt(log))) {
        if (!bytesEqual(key, client.installation.publicKey)) wanted.push({ inboxId: log.inboxId, key });
      }
    }
    if (!wanted.some((w) => w.inboxId === peerInboxId)) throw new XmtpError(CreateDmErrorCodes.noInstallations, `Inbox ${peerInboxId} has no installations`);

    const { keyPackages } = await client.api.mls.fetchKeyPackages({ installationKeys: wanted.map((w) => w.key) });
    const nowSeconds = Number(client.clock.nowNs() / 1_000_000_000n);
    const recipients: Recipient[] = [];
    const failed: Uint8Array[] = [];
    wanted.forEach((w, i) => {
      try {
        recipients.push(recipientFrom(w, keyPackages[i]?.keyPackageTlsSerialized, nowSeconds));
      } catch {
        failed.push(w.key);
      }
    });
    if (!recipients.some((r) => wanted.find((w) => bytesEqual(w.key, r.installationKey))?.inboxId === peerInboxId)) {
      throw new XmtpError(CreateDmErrorCodes.noInstallations, `No installation of inbox ${peerInboxId} has a valid key package`, { retryable: true });
    }

    // The group, with our leaf from a fresh (never uploaded) key package.
    const own = await createXmtpKeyPackage({ inboxId: client.inboxId, installationSecretKey: client.installation.secretKey, now: nowSeconds, cipherSuite: client.mls.cipherSuite });
    const groupId = crypto.getRandomValues(new Uint8Array(16));
    const initial = await createGroup({
      context: client.mls,
      groupId,
      keyPackage: own.decoded,
      privateKeyPackage: toPrivateKeyPackage(own.secrets, client.installation.secretKey),
      extensions: dmGroupExtensions({ creatorInboxId: client.inboxId, peerInboxId }),
    });

    // One commit: Add every installation + GCE with the members' real sequence ids.
    const members = new Map([
      [client.inboxId, ourLog.latestSequenceId],
      [peerInboxId, peerLog.latestSequenceId],
    ]);
    const extensions = withGroupMembership(initial.groupContext.extensions, members, failed);
    const proposals: Proposal[] = [
      ...recipients.map((r): Proposal => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: r.keyPackage } })),
      { proposalType: defaultProposalTypes.group_context_extensions, groupContextExtensions: { extensions } },
    ];
    const { newState, commit, welcome } = await createCommit({ context: client.mls, state: initial, extraProposals: proposals, ratchetTreeExtension: true });
    if (!welcome) throw new XmtpError('internal', 'An Add commit produced no Welcome');
    const commitData = encode(mlsMessageEncoder, commit);
    const nowNs = client.clock.nowNs();
    const record: StoredGroup = {
      groupId,
      state: new Uint8Array(0),
      cursor: 0n,
      kind: 'dm',
      dmPeerInboxId: peerInboxId,
      createdAtNs: nowNs,
      addedByInboxId: client.inboxId,
    };
    await saveGroup(client.store, record, newState, (tx) => tx.put(ConversationTables.sentPayloads, payloadKey(commitData), { groupId: groupKey(groupId) }));

    await client.api.mls.sendGroupMessages({
      messages: [{ version: { case: 'v1', value: { data: commitData, senderHmac: senderHmac({ hmacRootKey: client.hmacRootKey, groupId, data: commitData, nowNs }), shouldPush: false } } }],
    });
    const commitId = await findEnvelopeId(client, groupId, commitData);
    await saveGroup(client.store, { ...record, cursor: commitId }, newState);

    const welcomeBytes = encode(mlsMessageEncoder, welcome);
    const metadata = encodeWelcomeMetadata(commitId);
    const wrapped = await Promise.all(
      recipients.map(async (r) => {
        const { data, welcomeMetadata } = await wrapWelcome({ welcome: welcomeBytes, metadata, recipientPublicKey: r.wrapperPublicKey, algorithm: r.algorithm });
        return {
          version: {
            case: 'v1' as const,
            value: {
              installationKey: r.installationKey,
              data,
              hpkePublicKey: r.wrapperPublicKey,
              wrapperAlgorithm: r.algorithm === 'xwing' ? WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6 : WelcomeWrapperAlgorithm.CURVE25519,
              welcomeMetadata,
            },
          },
        };
      }),
    );
    await client.api.mls.sendWelcomeMessages({ messages: wrapped });
    return {
      id: groupKey(groupId),
      groupId,
      created: true,
      addedInstallations: recipients.map((r) => bytesToHex(r.installationKey)),
      failedInstallations: failed.map((k) => bytesToHex(k)),
    };
  });
}

function recipientFrom(wanted: { inboxId: string; key: Uint8Array }, bytes: Uint8Array | undefined, nowSeconds: number): Recipient {
  if (!bytes || bytes.length === 0) throw new XmtpError(CreateDmErrorCodes.noInstallations, 'no key package');
  const parsed = verifyKeyPackage(bytes, { nowSeconds });
  if (parsed.inboxId !== wanted.inboxId) throw new XmtpError(CreateDmErrorCodes.invalidPeer, 'key package credential names another inbox');
  if (!bytesEqual(parsed.installationKey, wanted.key)) throw new XmtpError(CreateDmErrorCodes.invalidPeer, 'key package of another installation');
  const ff03 = parsed.keyPackage.extensions.find((e) => e.extensionType === XmtpExtensionTypes.welcomeWrapperEncryption);
  if (ff03 && ff03.extensionData instanceof Uint8Array) {
    const info = decodeWelcomeWrapperEncryption(ff03.extensionData);
    if (info.algorithm === WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6) {
      return { installationKey: wanted.key, keyPackage: parsed.keyPackage, algorithm: 'xwing', wrapperPublicKey: info.pubKey };
    }
  }
  return { installationKey: wanted.key, keyPackage: parsed.keyPackage, algorithm: 'curve25519', wrapperPublicKey: parsed.initKey };
}

/** The node id of a payload we just published to the group (newest first). */
async function findEnvelopeId(client: XmtpClient, groupId: Uint8Array, data: Uint8Array): Promise<bigint> {
  const { messages } = await client.api.mls.queryGroupMessages({ groupId, pagingInfo: { direction: SortDirection.DESCENDING, limit: 100 } });
  for (const m of messages) {
    if (m.version.case === 'v1' && bytesEqual(m.version.value.data, data)) return m.version.value.id;
  }
  throw new XmtpError(CreateDmErrorCodes.commitNotFound, 'The published commit is not on the node', { retryable: true });
}
