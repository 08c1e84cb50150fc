/**
 * The association state of an inbox (its members, recovery identifier and seen signatures) and the
 * read helpers over it, as libxmtp's `AssociationState`. Pure; runs everywhere.
 *
 * Guarantees: a state is a plain immutable value: frozen objects and arrays, bigints and Uint8Arrays
 * only, so it survives `structuredClone` (storage, postMessage) unchanged. Nothing here mutates a
 * state; `snapshotState` builds a fresh frozen copy that shares nothing with its input.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { memberIdEquals, type PublicIdentifier } from './member-id.js';
import type { MemberId } from './signature-types.js';

/** A member of an inbox (libxmtp `Member`). */
export interface Member {
  readonly identifier: MemberId;
  /** Who added it (absent for the inbox's first identifier). */
  readonly addedByEntity?: MemberId;
  /** The `client_timestamp_ns` of the update that added it (absent for the first identifier). */
  readonly clientTimestampNs?: bigint;
  /** Smart-contract wallets: the chain its signature was checked on; later signatures must match. */
  readonly addedOnChainId?: bigint;
}

export interface AssociationState {
  readonly inboxId: string;
  /** In the order they were added (a re-added member keeps its place). */
  readonly members: readonly Member[];
  /** The identifier that alone may revoke members and change the recovery identifier. */
  readonly recoveryIdentifier: PublicIdentifier;
  /** Lowercase hex of every signature (replay key) already used by an update of this inbox. */
  readonly seenSignatures: readonly string[];
}

/** An installation of an inbox. */
export interface Installation {
  /** The 32-byte Ed25519 public key (the MLS leaf signature key). */
  readonly key: Uint8Array;
  /** Its lowercase hex (the installation id as text). */
  readonly id: string;
  readonly clientTimestampNs?: bigint;
}

function copyMemberId(id: MemberId): MemberId {
  switch (id.kind) {
    case 'ethereum':
      return Object.freeze({ kind: 'ethereum', address: id.address });
    case 'installation':
      return Object.freeze({ kind: 'installation', key: id.key.slice() });
    case 'passkey':
      return Object.freeze({ kind: 'passkey', key: id.key.slice(), ...(id.relyingParty === undefined ? {} : { relyingParty: id.relyingParty }) });
  }
}

function copyMember(member: Member): Member {
  return Object.freeze({
    identifier: copyMemberId(member.identifier),
    ...(member.addedByEntity === undefined ? {} : { addedByEntity: copyMemberId(member.addedByEntity) }),
    ...(member.clientTimestampNs === undefined ? {} : { clientTimestampNs: member.clientTimestampNs }),
    ...(member.addedOnChainId === undefined ? {} : { addedOnChainId: member.addedOnChainId }),
  });
}

/** A deep, frozen copy of `state` sharing no object or byte array with it. */
export function snapshotState(state: AssociationState): AssociationState {
  return Object.freeze({
    inboxId: state.inboxId,
    members: Object.freeze(state.members.map(copyMember)),
    recoveryIdentifier: copyMemberId(state.recoveryIdentifier) as PublicIdentifier,
    seenSignatures: Object.freeze([...state.seenSignatures]),
  });
}

/** The member `id` is, if it belongs to the inbox (libxmtp equality: passkeys by key only). */
export function findMember(state: AssociationState, id: MemberId): Member | undefined {
  return state.members.find((m) => memberIdEquals(m.identifier, id));
}

/** Members ordered as libxmtp's `members()`: by the timestamp they were added, the first identifier (no timestamp) last; ties keep their order. */
export function getMembers(state: AssociationState): Member[] {
  const at = (m: Member) => m.clientTimestampNs ?? (1n << 64n) - 1n;
  return [...state.members].sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0));
}

/** The inbox's installations, ordered by when they were added. */
export function getInstallations(state: AssociationState): Installation[] {
  return getMembers(state).flatMap((m) =>
    m.identifier.kind === 'installation'
      ? [{ key: m.identifier.key, id: bytesToHex(m.identifier.key), ...(m.clientTimestampNs === undefined ? {} : { clientTimestampNs: m.clientTimestampNs }) }]
      : [],
  );
}

/** The 32-byte keys of the inbox's installations. */
export function getInstallationIds(state: AssociationState): Uint8Array[] {
  return getInstallations(state).map((i) => i.key);
}

/** The inbox's public identifiers (Ethereum addresses and passkeys), ordered by when they were added. */
export function getIdentifiers(state: AssociationState): PublicIdentifier[] {
  return getMembers(state).flatMap((m) => (m.identifier.kind === 'installation' ? [] : [m.identifier]));
}

/** The identifier that may revoke members and change the recovery identifier. */
export function getRecoveryIdentifier(state: AssociationState): PublicIdentifier {
  return state.recoveryIdentifier;
}

/** True when `replayKey` (a VerifiedSignature's) was used by an earlier update of the inbox. */
export function hasSeenSignature(state: AssociationState, replayKey: Uint8Array): boolean {
  return state.seenSignatures.includes(bytesToHex(replayKey));
}
