/**
 * The association-state reducer: applies one identity update whose signatures are already verified,
 * with every rule libxmtp 1.10 enforces (`crates/xmtp_id/src/associations/association_log.rs`), in
 * libxmtp's order. Pure and synchronous; runs everywhere (the node and the client share it).
 *
 * Guarantees: never mutates `state`, `update` or `verified`; returns a fresh frozen state or throws an
 * XmtpError whose stable `identity.*` code names the rule that refused the update. Signatures may be
 * reused by several actions inside one update (libxmtp registration does); all of the update's
 * signatures are recorded after its last action, so reuse across updates is a replay.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type {
  AddAssociation,
  ChangeRecoveryAddress,
  CreateInbox,
  IdentityUpdate,
  RevokeAssociation,
} from '../../gen/identity/associations/association_pb.js';
import { findMember, snapshotState, type AssociationState, type Member } from './association-state.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';
import {
  identifierFromProto,
  inboxIdOf,
  isPublicIdentifier,
  memberIdEquals,
  memberIdFromProto,
  memberIdToString,
  type MemberKind,
} from './member-id.js';
import type { MemberId, SignatureKind, VerifiedSignature } from './signature-types.js';
import type { VerifiedAction } from './verify-update-signatures.js';

export type ApplyVerifiedUpdateReturnType = AssociationState;

/** The signature kinds each kind of member may sign with (libxmtp `allowed_signature_for_kind`). */
export const ALLOWED_SIGNATURE_KINDS: Readonly<Record<MemberKind, readonly SignatureKind[]>> = Object.freeze({
  ethereum: Object.freeze(['erc191', 'erc1271', 'legacy-delegated'] as const),
  installation: Object.freeze(['installation-key'] as const),
  passkey: Object.freeze(['passkey'] as const),
});

function describe(id: MemberId): string {
  return `${id.kind} ${memberIdToString(id)}`;
}

function fail(code: (typeof IdentityErrorCodes)[keyof typeof IdentityErrorCodes], at: string, message: string): never {
  throw identityError(code, `${at}: ${message}`);
}

function checkSignatureKind(role: MemberKind, signature: VerifiedSignature, at: string): void {
  if (!ALLOWED_SIGNATURE_KINDS[role].includes(signature.kind)) {
    fail(IdentityErrorCodes.signatureKindNotAllowed, at, `a ${signature.kind} signature is not allowed for a ${role} member`);
  }
}

function checkReplay(state: AssociationState, signatures: readonly VerifiedSignature[], at: string): void {
  for (const signature of signatures) {
    if (state.seenSignatures.includes(bytesToHex(signature.replayKey))) {
      fail(IdentityErrorCodes.replayedSignature, at, `a signature already used by an earlier update of inbox ${state.inboxId} (replay)`);
    }
  }
}

/** libxmtp `verify_chain_id_matches`: a member signs from the chain it was added on (none for EOAs). */
function checkChainId(member: Member | undefined, signature: VerifiedSignature, at: string): void {
  if (member && member.addedOnChainId !== signature.chainId) {
    fail(
      IdentityErrorCodes.chainIdMismatch,
      at,
      `${describe(member.identifier)} was added on chain ${member.addedOnChainId ?? 'none'} but signed on chain ${signature.chainId ?? 'none'}`,
    );
  }
}

function requireState(state: AssociationState | undefined, inboxId: string, at: string): AssociationState {
  if (!state) fail(IdentityErrorCodes.inboxMissing, at, `inbox ${inboxId} does not exist yet: its first action must be CreateInbox`);
  return state;
}

const isLegacy = (signature: VerifiedSignature) => signature.kind === 'legacy-delegated';

function createInbox(state: AssociationState | undefined, action: CreateInbox, signature: VerifiedSignature, at: string): AssociationState {
  if (state) fail(IdentityErrorCodes.inboxExists, at, `inbox ${state.inboxId} already exists`);
  const identifier = identifierFromProto(action.initialIdentifier, action.initialIdentifierKind, action.relyingParty, `${at}: initial identifier`);
  if (!memberIdEquals(signature.signer, identifier)) {
    fail(IdentityErrorCodes.initialSignerMismatch, at, `the initial identifier is ${describe(identifier)} but the signature is from ${describe(signature.signer)}`);
  }
  checkSignatureKind(identifier.kind, signature, at);
  if (isLegacy(signature) && action.nonce !== 0n) {
    fail(IdentityErrorCodes.legacySignatureNotAllowed, at, 'a legacy delegated signature may only create the inbox with nonce 0');
  }
  const inboxId = inboxIdOf(identifier, action.nonce);
  return {
    inboxId,
    members: [{ identifier, ...(signature.chainId === undefined ? {} : { addedOnChainId: signature.chainId }) }],
    recoveryIdentifier: identifier,
    seenSignatures: [],
  };
}

function addAssociation(
  state: AssociationState,
  action: AddAssociation,
  existing: VerifiedSignature,
  added: VerifiedSignature,
  clientTimestampNs: bigint,
  at: string,
): AssociationState {
  checkReplay(state, [existing, added], at);
  const newMember = memberIdFromProto(action.newMemberIdentifier, `${at}: new member identifier`);
  if (!memberIdEquals(added.signer, newMember)) {
    fail(IdentityErrorCodes.newMemberSignerMismatch, at, `the new member is ${describe(newMember)} but its signature is from ${describe(added.signer)}`);
  }
  if (memberIdEquals(added.signer, existing.signer)) {
    fail(IdentityErrorCodes.cannotAddSelf, at, `${describe(added.signer)} tried to add itself`);
  }
  if (isPublicIdentifier(existing.signer) && (isLegacy(added) || isLegacy(existing)) && state.inboxId !== inboxIdOf(existing.signer, 0n)) {
    fail(IdentityErrorCodes.legacySignatureNotAllowed, at, 'legacy delegated signatures may only be used on the inbox with nonce 0');
  }
  checkSignatureKind(newMember.kind, added, at);

  const existingMember = findMember(state, existing.signer);
  checkChainId(existingMember, existing, at);
  let addedBy: MemberId;
  if (existingMember) {
    addedBy = existingMember.identifier;
  } else {
    if (!memberIdEquals(existing.signer, state.recoveryIdentifier)) {
      fail(IdentityErrorCodes.signerNotMember, at, `${describe(existing.signer)} is neither a member of inbox ${state.inboxId} nor its recovery identifier`);
    }
    if (isLegacy(existing)) {
      fail(IdentityErrorCodes.legacySignatureNotAllowed, at, 'the recovery identifier cannot add members with a legacy delegated signature');
    }
    addedBy = state.recoveryIdentifier;
  }
  checkSignatureKind(addedBy.kind, existing, at);
  if (existing.signer.kind === 'installation' && newMember.kind === 'installation') {
    fail(IdentityErrorCodes.memberNotAllowed, at, 'an installation cannot add an installation');
  }

  // libxmtp records the verified signer (for a passkey: with the relying party it signed for).
  const member: Member = {
    identifier: added.signer,
    addedByEntity: addedBy,
    clientTimestampNs,
    ...(added.chainId === undefined ? {} : { addedOnChainId: added.chainId }),
  };
  const index = state.members.findIndex((m) => memberIdEquals(m.identifier, member.identifier));
  const members = index < 0 ? [...state.members, member] : state.members.map((m, i) => (i === index ? member : m));
  return { ...state, members };
}

function revokeAssociation(state: AssociationState, action: RevokeAssociation, signature: VerifiedSignature, at: string): AssociationState {
  checkReplay(state, [signature], at);
  checkChainId(findMember(state, signature.signer), signature, at);
  if (isLegacy(signature)) fail(IdentityErrorCodes.legacySignatureNotAllowed, at, 'a revocation cannot be signed with a legacy delegated signature');
  if (!memberIdEquals(signature.signer, state.recoveryIdentifier)) {
    fail(IdentityErrorCodes.notRecoveryIdentifier, at, `only the recovery identifier ${describe(state.recoveryIdentifier)} may revoke, not ${describe(signature.signer)}`);
  }
  const revoked = memberIdFromProto(action.memberToRevoke, `${at}: member to revoke`);
  // libxmtp 1.10 removes the member and the installations it added (not other identifiers it added).
  const removed = (m: Member) =>
    memberIdEquals(m.identifier, revoked) ||
    (m.identifier.kind === 'installation' && m.addedByEntity !== undefined && memberIdEquals(m.addedByEntity, revoked));
  return { ...state, members: state.members.filter((m) => !removed(m)) };
}

function changeRecoveryAddress(state: AssociationState, action: ChangeRecoveryAddress, signature: VerifiedSignature, at: string): AssociationState {
  checkReplay(state, [signature], at);
  checkChainId(findMember(state, signature.signer), signature, at);
  if (isLegacy(signature)) fail(IdentityErrorCodes.legacySignatureNotAllowed, at, 'the recovery identifier cannot be changed with a legacy delegated signature');
  if (!memberIdEquals(signature.signer, state.recoveryIdentifier)) {
    fail(
      IdentityErrorCodes.notRecoveryIdentifier,
      at,
      `only the recovery identifier ${describe(state.recoveryIdentifier)} may change it, not ${describe(signature.signer)}`,
    );
  }
  const recoveryIdentifier = identifierFromProto(
    action.newRecoveryIdentifier,
    action.newRecoveryIdentifierKind,
    action.relyingParty,
    `${at}: new recovery identifier`,
  );
  return { ...state, recoveryIdentifier };
}

/**
 * Applies `update` to `state` (undefined for an inbox with no log yet), given its signatures verified
 * per action (`verifyUpdateSignatures`). Returns the new state; throws an identity XmtpError otherwise.
 */
export function applyVerifiedUpdate(
  state: AssociationState | undefined,
  update: IdentityUpdate,
  verified: readonly VerifiedAction[],
): ApplyVerifiedUpdateReturnType {
  if (verified.length !== update.actions.length) {
    throw identityError(
      IdentityErrorCodes.malformedUpdate,
      `Malformed identity update: ${update.actions.length} actions but ${verified.length} verified signature sets`,
    );
  }
  let current = state;
  const used: VerifiedSignature[] = [];
  update.actions.forEach((action, index) => {
    const kind = action.kind;
    const signatures = verified[index]!;
    const at = `Identity update for inbox ${update.inboxId}, action ${index} (${kind.case ?? 'empty'})`;
    if (kind.case !== signatures.case) {
      fail(IdentityErrorCodes.malformedUpdate, at, `the verified signatures are for a ${signatures.case} action`);
    }
    switch (signatures.case) {
      case 'createInbox':
        current = createInbox(current, kind.value as CreateInbox, signatures.initialIdentifierSignature, at);
        used.push(signatures.initialIdentifierSignature);
        break;
      case 'add':
        current = addAssociation(
          requireState(current, update.inboxId, at),
          kind.value as AddAssociation,
          signatures.existingMemberSignature,
          signatures.newMemberSignature,
          update.clientTimestampNs,
          at,
        );
        used.push(signatures.existingMemberSignature, signatures.newMemberSignature);
        break;
      case 'revoke':
        current = revokeAssociation(requireState(current, update.inboxId, at), kind.value as RevokeAssociation, signatures.recoveryIdentifierSignature, at);
        used.push(signatures.recoveryIdentifierSignature);
        break;
      case 'changeRecoveryAddress':
        current = changeRecoveryAddress(
          requireState(current, update.inboxId, at),
          kind.value as ChangeRecoveryAddress,
          signatures.existingRecoveryIdentifierSignature,
          at,
        );
        used.push(signatures.existingRecoveryIdentifierSignature);
        break;
    }
  });

  const at = `Identity update for inbox ${update.inboxId}`;
  const final = requireState(current, update.inboxId, at);
  if (final.inboxId !== update.inboxId) {
    fail(IdentityErrorCodes.inboxIdMismatch, at, `the actions lead to inbox ${final.inboxId}, not the inbox the update names`);
  }
  const seen = new Set(final.seenSignatures);
  const seenSignatures = [...final.seenSignatures];
  for (const signature of used) {
    const hex = bytesToHex(signature.replayKey);
    if (!seen.has(hex)) {
      seen.add(hex);
      seenSignatures.push(hex);
    }
  }
  return snapshotState({ ...final, seenSignatures });
}
