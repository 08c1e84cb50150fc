/**
 * Registers an installation with the network, as libxmtp does: the identity (wallet or passkey) is
 * looked up first; a new identity creates its inbox with libxmtp's default nonce in one update that
 * also adds the installation, an existing inbox gets one AddAssociation — after the client-side
 * check that it has room for another installation. Pure; runs everywhere (the transport is injected).
 */
import type { Client } from '@connectrpc/connect';
import type { IdentityApi } from '../../gen/identity/api/v1/identity_pb.js';
import { XmtpError } from '../errors.js';
import type { ApplyUpdateDependencies } from './apply-update.js';
import { getInstallationIds, type AssociationState } from './association-state.js';
import { buildIdentityUpdate } from './build-identity-update.js';
import { fetchAssociationState } from './fetch-association-state.js';
import type { IdentitySigner } from './identity-signer.js';
import { DEFAULT_INBOX_NONCE } from './inbox-id.js';
import { checkInstallationLimit } from './installation-limit.js';
import { identifierToProto, inboxIdOf, type PublicIdentifier } from './member-id.js';

export type IdentityApiClient = Pick<Client<typeof IdentityApi>, 'getInboxIds' | 'getIdentityUpdates' | 'publishIdentityUpdate'>;

export interface RegisterInboxParameters {
  readonly api: IdentityApiClient;
  /** The wallet or passkey that owns (or will own) the inbox. */
  readonly identity: IdentitySigner & { readonly identifier: PublicIdentifier };
  /** This installation's key. */
  readonly installation: IdentitySigner;
  /** Verifiers for the inbox's existing log (passkeys, smart-contract wallets). */
  readonly verify?: ApplyUpdateDependencies;
  /** Nanoseconds since the epoch (defaults to now). */
  readonly now?: () => bigint;
}

export interface RegisterInboxReturnType {
  readonly inboxId: string;
  /** True when this call created the inbox; false when it joined an existing one (or was already in it). */
  readonly created: boolean;
  /** The inbox's state after registration (undefined for a just-created inbox). */
  readonly state?: AssociationState;
}

export async function registerInbox(params: RegisterInboxParameters): Promise<RegisterInboxReturnType> {
  const { api, identity, installation } = params;
  const now = params.now ?? (() => BigInt(Date.now()) * 1_000_000n);
  const { identifier, kind } = identifierToProto(identity.identifier);
  const found = await api.getInboxIds({ requests: [{ identifier, identifierKind: kind }] });
  const existing = found.responses[0]?.inboxId;

  if (!existing) {
    const inboxId = inboxIdOf(identity.identifier, DEFAULT_INBOX_NONCE);
    const update = await buildIdentityUpdate({
      inboxId,
      clientTimestampNs: now(),
      actions: [
        { kind: 'createInbox', signer: identity, nonce: DEFAULT_INBOX_NONCE },
        { kind: 'add', existing: identity, newMember: installation },
      ],
    });
    await api.publishIdentityUpdate({ identityUpdate: update });
    return { inboxId, created: true };
  }

  const state = await fetchAssociationState({ api, inboxId: existing, ...(params.verify ? { verify: params.verify } : {}) });
  const key = installation.identifier.kind === 'installation' ? installation.identifier.key : undefined;
  if (!key) throw new XmtpError('identity.invalid_identifier', 'The installation signer must be an installation key');
  if (getInstallationIds(state).some((id) => id.length === key.length && id.every((b, i) => b === key[i]))) {
    return { inboxId: existing, created: false, state };
  }
  checkInstallationLimit(state);
  const update = await buildIdentityUpdate({
    inboxId: existing,
    clientTimestampNs: now(),
    actions: [{ kind: 'add', existing: identity, newMember: installation }],
  });
  await api.publishIdentityUpdate({ identityUpdate: update });
  return { inboxId: existing, created: false, state };
}
