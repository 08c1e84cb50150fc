/**
 * Members of an inbox (`MemberId`): equality as libxmtp defines it, rendering, and conversion from and
 * to the protobuf `MemberIdentifier` / identifier strings. Pure; runs everywhere.
 *
 * Guarantees: conversions from protobuf keep identifier strings verbatim, as libxmtp does (it compares
 * the address string of an update with the lowercase recovered signer, so a mixed-case address in an
 * update simply never matches); byte arrays are copied, so a MemberId never aliases a message buffer.
 */
import { create } from '@bufbuild/protobuf';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  IdentifierKind,
  MemberIdentifierSchema,
  type MemberIdentifier,
} from '../../gen/identity/associations/association_pb.js';
import { decodeHex, isEthereumAddress } from './identifiers.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';
import { deriveInboxId } from './inbox-id.js';
import type { MemberId } from './signature-types.js';

/** A member that can own an inbox or be its recovery identifier (an installation cannot). */
export type PublicIdentifier = Extract<MemberId, { readonly kind: 'ethereum' | 'passkey' }>;

export type MemberKind = MemberId['kind'];

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** libxmtp equality: addresses by string, installations by key, passkeys by key only (not relying party). */
export function memberIdEquals(a: MemberId, b: MemberId): boolean {
  switch (a.kind) {
    case 'ethereum':
      return b.kind === 'ethereum' && a.address === b.address;
    case 'installation':
      return b.kind === 'installation' && bytesEqual(a.key, b.key);
    case 'passkey':
      return b.kind === 'passkey' && bytesEqual(a.key, b.key);
  }
}

/** A string key for maps and sets, consistent with `memberIdEquals`. */
export function memberIdKey(id: MemberId): string {
  return id.kind === 'ethereum' ? `ethereum:${id.address}` : `${id.kind}:${bytesToHex(id.key)}`;
}

/** How libxmtp renders a member (Display): the address, or the lowercase hex of the key. */
export function memberIdToString(id: MemberId): string {
  return id.kind === 'ethereum' ? id.address : bytesToHex(id.key);
}

/** The inbox id `identifier` owns with `nonce`; refuses Ethereum strings that are not `0x` + 40 hex digits. */
export function inboxIdOf(identifier: PublicIdentifier, nonce: bigint): string {
  if (identifier.kind === 'ethereum' && !isEthereumAddress(identifier.address)) {
    throw identityError(
      IdentityErrorCodes.invalidIdentifier,
      `Invalid account address ${JSON.stringify(identifier.address)}: must be 42 characters, 0x followed by hex digits`,
    );
  }
  return deriveInboxId(memberIdToString(identifier), nonce);
}

/**
 * A protobuf `MemberIdentifier` as a MemberId (strings verbatim, bytes copied). Throws
 * `identity.malformed_update` naming `what` when it has no identifier.
 */
export function memberIdFromProto(proto: MemberIdentifier | undefined, what = 'member identifier'): MemberId {
  const kind = proto?.kind;
  switch (kind?.case) {
    case 'ethereumAddress':
      return { kind: 'ethereum', address: kind.value };
    case 'installationPublicKey':
      return { kind: 'installation', key: kind.value.slice() };
    case 'passkey':
      return {
        kind: 'passkey',
        key: kind.value.key.slice(),
        ...(kind.value.relyingParty === undefined ? {} : { relyingParty: kind.value.relyingParty }),
      };
    default:
      throw identityError(IdentityErrorCodes.malformedUpdate, `Malformed identity update: missing ${what}`);
  }
}

/** A MemberId as a protobuf `MemberIdentifier`. */
export function memberIdToProto(id: MemberId): MemberIdentifier {
  switch (id.kind) {
    case 'ethereum':
      return create(MemberIdentifierSchema, { kind: { case: 'ethereumAddress', value: id.address } });
    case 'installation':
      return create(MemberIdentifierSchema, { kind: { case: 'installationPublicKey', value: id.key.slice() } });
    case 'passkey':
      return create(MemberIdentifierSchema, {
        kind: { case: 'passkey', value: { key: id.key.slice(), ...(id.relyingParty === undefined ? {} : { relyingParty: id.relyingParty }) } },
      });
  }
}

/**
 * An identifier string of an update (`initial_identifier`, `new_recovery_identifier`) with its kind:
 * UNSPECIFIED and unknown kinds mean Ethereum (libxmtp), the string is kept verbatim; a passkey string
 * must be hex. Throws `identity.malformed_update` naming `what` otherwise.
 */
export function identifierFromProto(
  identifier: string,
  kind: IdentifierKind,
  relyingParty: string | undefined,
  what = 'identifier',
): PublicIdentifier {
  if (kind !== IdentifierKind.PASSKEY) return { kind: 'ethereum', address: identifier };
  const key = decodeHex(identifier);
  if (!key) throw identityError(IdentityErrorCodes.malformedUpdate, `Malformed identity update: ${what} is not a hex passkey`);
  return { kind: 'passkey', key, ...(relyingParty === undefined ? {} : { relyingParty }) };
}

/** An identifier as the strings an update carries it in (`initial_identifier` + its kind). */
export function identifierToProto(identifier: PublicIdentifier): { identifier: string; kind: IdentifierKind } {
  return identifier.kind === 'ethereum'
    ? { identifier: identifier.address, kind: IdentifierKind.ETHEREUM }
    : { identifier: bytesToHex(identifier.key), kind: IdentifierKind.PASSKEY };
}

/** True for the members that can own an inbox (Ethereum addresses and passkeys). */
export function isPublicIdentifier(id: MemberId): id is PublicIdentifier {
  return id.kind !== 'installation';
}
