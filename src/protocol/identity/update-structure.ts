/**
 * Structural checks of an identity update, before any signature is verified, and the changes it
 * makes to the identifier → inbox index. Pure; runs everywhere (the node, the client).
 *
 * This is the node's first line of defence; the full verification (signatures and the
 * association-state rules) is the identity reducer's job and runs after it.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  IdentifierKind,
  type IdentityAction,
  type IdentityUpdate,
  type MemberIdentifier,
} from '../../gen/identity/associations/association_pb.js';
import { XmtpError } from '../errors.js';
import { IdentityErrorCodes } from './identity-errors.js';
import { deriveInboxId } from './inbox-id.js';

// Kept here for existing importers; both live in their own modules now.
export { IdentityErrorCodes } from './identity-errors.js';
export { deriveInboxId } from './inbox-id.js';

const INBOX_ID = /^[0-9a-f]{64}$/;
const ETHEREUM_ADDRESS = /^0x[0-9a-f]{40}$/;

function malformed(message: string): XmtpError {
  return new XmtpError(IdentityErrorCodes.malformedUpdate, `Malformed identity update: ${message}`);
}

/** An identifier as the inbox index stores it: a lowercase Ethereum address or passkey hex. */
export interface IndexedIdentifier {
  readonly identifier: string;
  readonly kind: 'ethereum' | 'passkey';
}

export interface IdentifierChange extends IndexedIdentifier {
  readonly change: 'added' | 'removed';
}

/**
 * Checks the shape of `update` against the inbox's log so far (`logIsEmpty`) and returns the changes
 * it makes to the identifier → inbox index. Throws an XmtpError naming the problem.
 */
export function checkUpdateStructure(update: IdentityUpdate, logIsEmpty: boolean): IdentifierChange[] {
  if (!INBOX_ID.test(update.inboxId)) throw malformed('inbox id must be 64 lowercase hex characters');
  if (update.actions.length === 0) throw malformed('no actions');
  const changes: IdentifierChange[] = [];
  update.actions.forEach((action, i) => changes.push(...checkAction(action, i, update, logIsEmpty)));
  return changes;
}

function checkAction(action: IdentityAction, index: number, update: IdentityUpdate, logIsEmpty: boolean): IdentifierChange[] {
  const at = `action ${index}`;
  const kind = action.kind;
  if (kind.case === undefined) throw malformed(`${at}: no action`);
  if (kind.case !== 'createInbox' && index === 0 && logIsEmpty) {
    throw new XmtpError(IdentityErrorCodes.inboxMissing, `Inbox ${update.inboxId} does not exist: its first update must create it`);
  }
  switch (kind.case) {
    case 'createInbox': {
      const c = kind.value;
      if (index !== 0 || !logIsEmpty) {
        throw new XmtpError(IdentityErrorCodes.inboxExists, `${at}: inbox ${update.inboxId} already exists`);
      }
      if (!c.initialIdentifierSignature?.signature.case) throw malformed(`${at}: missing initial identifier signature`);
      const id = indexedIdentifier(c.initialIdentifier, c.initialIdentifierKind, `${at}: initial identifier`);
      const derived = deriveInboxId(id.identifier, c.nonce);
      if (derived !== update.inboxId) {
        throw new XmtpError(
          IdentityErrorCodes.inboxIdMismatch,
          `${at}: inbox id ${update.inboxId} is not derived from ${id.identifier} with nonce ${c.nonce} (expected ${derived})`,
        );
      }
      return [{ ...id, change: 'added' }];
    }
    case 'add': {
      const a = kind.value;
      if (!a.newMemberIdentifier?.kind.case) throw malformed(`${at}: missing new member`);
      if (!a.existingMemberSignature?.signature.case) throw malformed(`${at}: missing existing member signature`);
      if (!a.newMemberSignature?.signature.case) throw malformed(`${at}: missing new member signature`);
      const id = memberIdentifier(a.newMemberIdentifier, at);
      return id ? [{ ...id, change: 'added' }] : [];
    }
    case 'revoke': {
      const r = kind.value;
      if (!r.memberToRevoke?.kind.case) throw malformed(`${at}: missing member to revoke`);
      if (!r.recoveryIdentifierSignature?.signature.case) throw malformed(`${at}: missing recovery identifier signature`);
      const id = memberIdentifier(r.memberToRevoke, at);
      return id ? [{ ...id, change: 'removed' }] : [];
    }
    case 'changeRecoveryAddress': {
      const c = kind.value;
      if (!c.existingRecoveryIdentifierSignature?.signature.case) throw malformed(`${at}: missing recovery identifier signature`);
      indexedIdentifier(c.newRecoveryIdentifier, c.newRecoveryIdentifierKind, `${at}: new recovery identifier`);
      return [];
    }
  }
}

/** Identifier strings travel lowercase: an Ethereum address, or the hex of a passkey key. */
function indexedIdentifier(identifier: string, kind: IdentifierKind, at: string): IndexedIdentifier {
  if (kind === IdentifierKind.PASSKEY) {
    if (!/^[0-9a-f]+$/.test(identifier) || identifier.length % 2 !== 0) throw malformed(`${at} is not a lowercase hex passkey`);
    return { identifier, kind: 'passkey' };
  }
  if (kind !== IdentifierKind.ETHEREUM && kind !== IdentifierKind.UNSPECIFIED) throw malformed(`${at} has unknown kind ${kind}`);
  if (!ETHEREUM_ADDRESS.test(identifier)) throw malformed(`${at} is not a lowercase 0x Ethereum address`);
  return { identifier, kind: 'ethereum' };
}

function memberIdentifier(member: MemberIdentifier, at: string): IndexedIdentifier | undefined {
  switch (member.kind.case) {
    case 'ethereumAddress':
      return indexedIdentifier(member.kind.value, IdentifierKind.ETHEREUM, `${at}: member`);
    case 'passkey':
      if (member.kind.value.key.length === 0) throw malformed(`${at}: empty passkey`);
      return { identifier: bytesToHex(member.kind.value.key), kind: 'passkey' };
    case 'installationPublicKey':
      if (member.kind.value.length !== 32) throw malformed(`${at}: installation key must be 32 bytes`);
      return undefined;
    default:
      throw malformed(`${at}: member has no identifier`);
  }
}
