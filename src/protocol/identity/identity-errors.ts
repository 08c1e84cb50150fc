/**
 * The stable error codes of the identity core (inbox ids, signatures, the association-state reducer).
 * Pure; runs everywhere. Every identity error is an XmtpError carrying one of these codes; none is
 * retryable (a refused update stays refused), except where a dependency (a chain RPC) says otherwise.
 */
import { XmtpError } from '../errors.js';

export const IdentityErrorCodes = {
  /** The update is structurally broken: a missing field, an undecodable identifier, misaligned signatures. */
  malformedUpdate: 'identity.malformed_update',
  /** The inbox id is not the one derived from the identifier and nonce (or the update names another inbox). */
  inboxIdMismatch: 'identity.inbox_id_mismatch',
  /** CreateInbox on an inbox that already has a state. */
  inboxExists: 'identity.inbox_exists',
  /** An action other than CreateInbox on an inbox that has no state yet. */
  inboxMissing: 'identity.inbox_missing',
  /** An identifier (Ethereum address, passkey, installation key) is not well formed. */
  invalidIdentifier: 'identity.invalid_identifier',
  /** A CAIP-10 account id of a smart-contract wallet signature is not well formed. */
  invalidAccountId: 'identity.invalid_account_id',
  /** A signature does not verify over the update's signature text, or its bytes are malformed. */
  invalidSignature: 'identity.invalid_signature',
  /** A signature kind this verifier cannot check (no verifier configured, or legacy delegated). */
  unsupportedSignature: 'identity.unsupported_signature',
  /** A signature already recorded by an earlier update of the inbox. */
  replayedSignature: 'identity.replayed_signature',
  /** CreateInbox: the initial identifier's signature was made by someone else. */
  initialSignerMismatch: 'identity.initial_signer_mismatch',
  /** AddAssociation: the new member's signature was made by someone other than the new member. */
  newMemberSignerMismatch: 'identity.new_member_signer_mismatch',
  /** AddAssociation: the existing member's signature is from neither a member nor the recovery identifier. */
  signerNotMember: 'identity.signer_not_member',
  /** AddAssociation: a member tried to add itself. */
  cannotAddSelf: 'identity.cannot_add_self',
  /** AddAssociation: this kind of member may not add that kind (an installation adding an installation). */
  memberNotAllowed: 'identity.member_not_allowed',
  /** A signature kind that the signing member's kind may not use (e.g. an ERC-191 signature for an installation). */
  signatureKindNotAllowed: 'identity.signature_kind_not_allowed',
  /** A legacy delegated signature where libxmtp refuses one (recovery actions, nonce ≠ 0 inboxes). */
  legacySignatureNotAllowed: 'identity.legacy_signature_not_allowed',
  /** Revoke / ChangeRecoveryAddress signed by someone other than the recovery identifier. */
  notRecoveryIdentifier: 'identity.not_recovery_identifier',
  /** A smart-contract wallet member signed from another chain than the one it was added on. */
  chainIdMismatch: 'identity.chain_id_mismatch',
  /** The inbox already has the maximum number of installations (client-side check before registering). */
  tooManyInstallations: 'identity.too_many_installations',
} as const;

export type IdentityErrorCode = (typeof IdentityErrorCodes)[keyof typeof IdentityErrorCodes];

/** A non-retryable identity error. */
export function identityError(code: IdentityErrorCode, message: string, cause?: unknown): XmtpError {
  return new XmtpError(code, message, cause === undefined ? {} : { cause });
}
