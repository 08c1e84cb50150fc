/**
 * The pieces every conversation commit we make is built from, shared by createDm, createGroup and
 * the membership / metadata commits on existing groups (xmtp-wire.md §5.3, §6). Pure; runs
 * everywhere.
 *
 * - `resolveInstallations`: the installations of some inboxes (their current association state)
 *   and each inbox's latest identity sequence id (real node ids, hazard 5); every key package is
 *   fetched (while the logs are verified) and checked (TLS parse, both signatures, lifetime, XMTP
 *   credential naming that inbox and that installation). Installations whose key package fails go
 *   to `failed` (→ 0xFF01 `failed_installations`), the others become welcome `Recipient`s: X-Wing to
 *   the 0xFF03 key when the key package has one (algorithm 2), else X25519 to its init key
 *   (algorithm 1).
 * - `addProposals`: one MLS Add per recipient.
 * - `publishCommit`: sends one commit (should_push false, sender_hmac) and reads back its node id
 *   and timestamp (the welcome's message cursor; the transcript message's id).
 * - `sendWelcomes`: the commit's Welcome, wrapped per recipient, with WelcomeMetadata.message_cursor.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { defaultProposalTypes, encode, mlsMessageEncoder, type GroupContextExtension, type KeyPackage, type MlsWelcomeMessage, type Proposal } from 'ts-mls';
import { SortDirection } from '../../gen/mls/api/v1/mls_pb.js';
import type { XmtpClient } from '../client.js';
import { XmtpError } from '../errors.js';
import { getInstallationIds } from '../identity/association-state.js';
import { verifyKeyPackageAsync } from '../mls/key-package.js';
import { bytesEqual } from '../mls/tls.js';
import { encodeWelcomeMetadata, wrapWelcome, type WelcomeWrapperAlgorithmName } from '../mls/welcome-wrapper.js';
import { decodeWelcomeWrapperEncryption, WelcomeWrapperAlgorithm, XmtpExtensionTypes } from '../mls/xmtp-extensions.js';
import { associationStateAt, fetchInboxLogs, type InboxLog } from './inbox-log.js';
import { senderHmac } from './sender-hmac.js';

export const CommitErrorCodes = {
  invalidPeer: 'conversations.invalid_dm_peer',
  noInstallations: 'conversations.no_installations',
  commitNotFound: 'conversations.commit_not_found',
} as const;

export interface Recipient {
  readonly inboxId: string;
  readonly installationKey: Uint8Array;
  readonly keyPackage: KeyPackage;
  readonly algorithm: WelcomeWrapperAlgorithmName;
  readonly wrapperPublicKey: Uint8Array;
}

export interface ResolvedInstallations {
  readonly logs: Map<string, InboxLog>;
  readonly recipients: Recipient[];
  readonly failed: { readonly inboxId: string; readonly installationKey: Uint8Array }[];
}

/**
 * Every installation of `inboxIds` except ours and those in `exclude` (hex), with checked key
 * packages. Throws `no_installations` when an inbox in `required` ends up with no recipient.
 */
export async function resolveInstallations(
  client: XmtpClient,
  inboxIds: readonly string[],
  options: { readonly exclude?: ReadonlySet<string>; readonly required?: readonly string[] } = {},
): Promise<ResolvedInstallations> {
  const logs = await fetchInboxLogs(client.api.identity, inboxIds);
  const skip = (key: Uint8Array) => bytesEqual(key, client.installation.publicKey) || options.exclude?.has(bytesToHex(key)) === true;
  // The key packages are requested while the logs are verified, for the installations the logs add
  // (read before any check): when nothing was revoked those are exactly the verified installations,
  // in the same order, and that request is the one made. Otherwise it is ignored and the verified
  // installations' key packages are requested after.
  const guess = [...new Set(inboxIds)].flatMap((inboxId) => installationsAdded(logs.get(inboxId)!).filter((key) => !skip(key)).map((key) => ({ inboxId, key })));
  const early = guess.length > 0 ? client.api.mls.fetchKeyPackages({ installationKeys: guess.map((g) => g.key) }) : undefined;
  early?.catch(() => undefined); // awaited below if used
  const wanted: { inboxId: string; key: Uint8Array }[] = [];
  for (const inboxId of new Set(inboxIds)) {
    for (const key of getInstallationIds(await associationStateAt(logs.get(inboxId)!))) {
      if (skip(key)) continue;
      wanted.push({ inboxId, key });
    }
  }
  const recipients: Recipient[] = [];
  const failed: { inboxId: string; installationKey: Uint8Array }[] = [];
  if (wanted.length > 0) {
    const guessed = early && guess.length === wanted.length && guess.every((g, i) => g.inboxId === wanted[i]!.inboxId && bytesEqual(g.key, wanted[i]!.key));
    const { keyPackages } = await (guessed ? early : client.api.mls.fetchKeyPackages({ installationKeys: wanted.map((w) => w.key) }));
    const nowSeconds = Number(client.clock.nowNs() / 1_000_000_000n);
    // Checked in parallel, kept in request order (the order of the Adds).
    const checked = await Promise.all(wanted.map((w, i) => recipientFrom(w, keyPackages[i]?.keyPackageTlsSerialized, nowSeconds).catch(() => undefined)));
    wanted.forEach((w, i) => {
      const recipient = checked[i];
      if (recipient) recipients.push(recipient);
      else failed.push({ inboxId: w.inboxId, installationKey: w.key });
    });
  }
  for (const inboxId of options.required ?? []) {
    if (!wanted.some((w) => w.inboxId === inboxId)) throw new XmtpError(CommitErrorCodes.noInstallations, `Inbox ${inboxId} has no installations`);
    if (!recipients.some((r) => r.inboxId === inboxId)) {
      throw new XmtpError(CommitErrorCodes.noInstallations, `No installation of inbox ${inboxId} has a valid key package`, { retryable: true });
    }
  }
  return { logs, recipients, failed };
}

/** The installation keys an inbox log's updates add, in log order, unchecked. */
function installationsAdded(log: InboxLog): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (const { update } of log.entries) {
    for (const { kind } of update.actions) {
      if (kind.case === 'add' && kind.value.newMemberIdentifier?.kind.case === 'installationPublicKey') keys.push(kind.value.newMemberIdentifier.kind.value);
    }
  }
  return keys;
}

async function recipientFrom(wanted: { inboxId: string; key: Uint8Array }, bytes: Uint8Array | undefined, nowSeconds: number): Promise<Recipient> {
  if (!bytes || bytes.length === 0) throw new XmtpError(CommitErrorCodes.noInstallations, 'no key package');
  const parsed = await verifyKeyPackageAsync(bytes, { nowSeconds });
  if (parsed.inboxId !== wanted.inboxId) throw new XmtpError(CommitErrorCodes.invalidPeer, 'key package credential names another inbox');
  if (!bytesEqual(parsed.installationKey, wanted.key)) throw new XmtpError(CommitErrorCodes.invalidPeer, 'key package of another installation');
  const base = { inboxId: wanted.inboxId, installationKey: wanted.key, keyPackage: parsed.keyPackage };
  const ff03 = parsed.keyPackage.extensions.find((e) => e.extensionType === XmtpExtensionTypes.welcomeWrapperEncryption);
  if (ff03 && ff03.extensionData instanceof Uint8Array) {
    const info = decodeWelcomeWrapperEncryption(ff03.extensionData);
    if (info.algorithm === WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6) return { ...base, algorithm: 'xwing', wrapperPublicKey: info.pubKey };
  }
  return { ...base, algorithm: 'curve25519', wrapperPublicKey: parsed.initKey };
}

export function addProposals(recipients: readonly Recipient[]): Proposal[] {
  return recipients.map((r): Proposal => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: r.keyPackage } }));
}

export function gceProposal(extensions: GroupContextExtension[]): Proposal {
  return { proposalType: defaultProposalTypes.group_context_extensions, groupContextExtensions: { extensions } };
}

/** Sends one commit; returns its node id and timestamp. */
export async function publishCommit(client: XmtpClient, groupId: Uint8Array, commitData: Uint8Array, nowNs: bigint): Promise<{ id: bigint; createdNs: bigint }> {
  await client.api.mls.sendGroupMessages({
    messages: [{ version: { case: 'v1', value: { data: commitData, senderHmac: senderHmac({ hmacRootKey: client.hmacRootKey, groupId, data: commitData, nowNs }), shouldPush: false } } }],
  });
  return findEnvelope(client, groupId, commitData);
}

/** The node id and timestamp of a payload we just published to the group (newest first). */
export async function findEnvelope(client: XmtpClient, groupId: Uint8Array, data: Uint8Array): Promise<{ id: bigint; createdNs: bigint }> {
  const { messages } = await client.api.mls.queryGroupMessages({ groupId, pagingInfo: { direction: SortDirection.DESCENDING, limit: 100 } });
  for (const m of messages) {
    if (m.version.case === 'v1' && bytesEqual(m.version.value.data, data)) return { id: m.version.value.id, createdNs: m.version.value.createdNs };
  }
  throw new XmtpError(CommitErrorCodes.commitNotFound, 'The published commit is not on the node', { retryable: true });
}

/** What wrapping a welcome to an installation needs. */
export type WelcomeRecipient = {
  readonly installationKey: Uint8Array;
  readonly algorithm: WelcomeWrapperAlgorithmName;
  readonly wrapperPublicKey: Uint8Array;
};

/** Wraps the Welcome to every recipient (cursor = the adding commit's node id) and sends them in batches of 50. */
export async function sendWelcomes(client: XmtpClient, welcome: MlsWelcomeMessage | Uint8Array, recipients: readonly WelcomeRecipient[], commitId: bigint): Promise<void> {
  if (recipients.length === 0) return;
  const welcomeBytes = welcome instanceof Uint8Array ? welcome : encode(mlsMessageEncoder, welcome);
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
  for (let i = 0; i < wrapped.length; i += 50) await client.api.mls.sendWelcomeMessages({ messages: wrapped.slice(i, i + 50) });
}
