/**
 * The text every signer of an identity update signs ("XMTP : Authenticate to inbox"), byte for byte
 * as libxmtp 1.10 builds it (`crates/xmtp_id/src/associations/unsigned_actions.rs`). Pure; runs
 * everywhere.
 *
 * Guarantees: one text per update, covering all its actions in order; blank lines, the two-space
 * indent, RFC 3339 time at whole seconds with `Z` taken from `client_timestamp_ns`, lowercase key hex,
 * identifier strings verbatim as the update carries them, and no trailing newline. Signatures in the
 * update are ignored, so the text can be made before anything is signed.
 */
import type { IdentityAction, IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';
import { identifierFromProto, memberIdFromProto, memberIdToString } from './member-id.js';
import type { MemberId } from './signature-types.js';

const HEADER = 'XMTP : Authenticate to inbox';
const FOOTER = 'For more info: https://xmtp.org/signatures';

export type CreateSignatureTextParameters = Pick<IdentityUpdate, 'inboxId' | 'clientTimestampNs' | 'actions'>;
export type CreateSignatureTextReturnType = string;

/** The signature text of `update` (its inbox id, client timestamp and actions). */
export function createSignatureText(update: CreateSignatureTextParameters): CreateSignatureTextReturnType {
  const actions = update.actions.map((action, index) => actionText(action, index)).join('\n');
  return `${HEADER}\n\nInbox ID: ${update.inboxId}\nCurrent time: ${formatSignatureTime(update.clientTimestampNs)}\n\n${actions}\n\n${FOOTER}`;
}

/**
 * chrono's `DateTime::from_timestamp_nanos(ns as i64).to_rfc3339_opts(Secs, true)`: the u64 is read as
 * an i64, rounded down to the second, and written `YYYY-MM-DDTHH:MM:SSZ`.
 */
export function formatSignatureTime(clientTimestampNs: bigint): string {
  const ns = BigInt.asIntN(64, clientTimestampNs);
  let seconds = ns / 1_000_000_000n;
  if (ns < 0n && ns % 1_000_000_000n !== 0n) seconds -= 1n;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function line(prefix: string, label: string, value: string): string {
  return `- ${prefix}\n  (${label}: ${value})`;
}

const ADD_TEXT: Record<MemberId['kind'], [prefix: string, label: string]> = {
  installation: ['Grant messaging access to app', 'ID'],
  ethereum: ['Link address to inbox', 'Address'],
  passkey: ['Link passkey to inbox', 'Passkey'],
};

const REVOKE_TEXT: Record<MemberId['kind'], [prefix: string, label: string]> = {
  installation: ['Revoke messaging access from app', 'ID'],
  ethereum: ['Unlink address from inbox', 'Address'],
  passkey: ['Unlink passkey from inbox', 'Passkey'],
};

function actionText(action: IdentityAction, index: number): string {
  const at = `action ${index}`;
  const kind = action.kind;
  switch (kind.case) {
    case 'createInbox': {
      const c = kind.value;
      const owner = identifierFromProto(c.initialIdentifier, c.initialIdentifierKind, c.relyingParty, `${at}: initial identifier`);
      return line('Create inbox', 'Owner', memberIdToString(owner));
    }
    case 'add': {
      const member = memberIdFromProto(kind.value.newMemberIdentifier, `${at}: new member identifier`);
      const [prefix, label] = ADD_TEXT[member.kind];
      return line(prefix, label, memberIdToString(member));
    }
    case 'revoke': {
      const member = memberIdFromProto(kind.value.memberToRevoke, `${at}: member to revoke`);
      const [prefix, label] = REVOKE_TEXT[member.kind];
      return line(prefix, label, memberIdToString(member));
    }
    case 'changeRecoveryAddress': {
      const c = kind.value;
      const recovery = identifierFromProto(c.newRecoveryIdentifier, c.newRecoveryIdentifierKind, c.relyingParty, `${at}: new recovery identifier`);
      // libxmtp labels it "Address" even for a passkey.
      return line('Change inbox recovery address', 'Address', memberIdToString(recovery));
    }
    default:
      throw identityError(IdentityErrorCodes.malformedUpdate, `Malformed identity update: ${at} has no action`);
  }
}
