import { describe, expect, test } from 'vitest';
import { IdentifierKind } from '../../gen/identity/associations/association_pb.js';
import { errorOf } from '../test-support/identity-builder.js';
import { IdentityErrorCodes } from './identity-errors.js';
import { identifierFromProto, identifierToProto, inboxIdOf, memberIdEquals, memberIdFromProto, memberIdKey, memberIdToProto, memberIdToString } from './member-id.js';

const address = '0x1234567890abcdef1234567890abcdef12345678';

describe('member ids', () => {
  test('default: proto round trip for every kind, bytes copied', () => {
    for (const id of [
      { kind: 'ethereum', address },
      { kind: 'installation', key: new Uint8Array(32).fill(7) },
      { kind: 'passkey', key: new Uint8Array([4, 1]), relyingParty: 'https://x' },
    ] as const) {
      const proto = memberIdToProto(id);
      const back = memberIdFromProto(proto);
      expect(back).toEqual(id);
      if (back.kind !== 'ethereum' && proto.kind.case !== 'ethereumAddress' && proto.kind.case !== undefined) {
        expect(back.key).not.toBe(proto.kind.case === 'passkey' ? proto.kind.value.key : proto.kind.value);
      }
    }
  });

  test('behavior: equality and keys follow libxmtp (passkeys by key only, addresses verbatim)', () => {
    expect(memberIdEquals({ kind: 'passkey', key: new Uint8Array([1]), relyingParty: 'a' }, { kind: 'passkey', key: new Uint8Array([1]) })).toBe(true);
    expect(memberIdEquals({ kind: 'passkey', key: new Uint8Array([1]) }, { kind: 'installation', key: new Uint8Array([1]) })).toBe(false);
    expect(memberIdEquals({ kind: 'ethereum', address }, { kind: 'ethereum', address: address.toUpperCase() })).toBe(false);
    expect(memberIdKey({ kind: 'installation', key: new Uint8Array([0xab]) })).toBe('installation:ab');
    expect(memberIdToString({ kind: 'passkey', key: new Uint8Array([0xab]) })).toBe('ab');
  });

  test('behavior: identifier strings: UNSPECIFIED and unknown kinds are Ethereum; passkeys are hex of the key', () => {
    expect(identifierFromProto(address, IdentifierKind.UNSPECIFIED, undefined)).toEqual({ kind: 'ethereum', address });
    expect(identifierFromProto(address, 9 as IdentifierKind, undefined)).toEqual({ kind: 'ethereum', address });
    expect(identifierFromProto('04AB', IdentifierKind.PASSKEY, 'https://x')).toEqual({ kind: 'passkey', key: new Uint8Array([4, 0xab]), relyingParty: 'https://x' });
    expect(identifierToProto({ kind: 'passkey', key: new Uint8Array([4, 0xab]) })).toEqual({ identifier: '04ab', kind: IdentifierKind.PASSKEY });
    expect(inboxIdOf({ kind: 'ethereum', address }, 0n)).toBe('fcd18d86276d7a99fe522dba9660c420f03c8648785ada7c5daae232a3df77a9');
  });

  test('error: a member identifier without a kind, a passkey string that is not hex, an address that cannot own an inbox', async () => {
    expect((await errorOf(() => memberIdFromProto(undefined, 'member to revoke'))).message).toContain('missing member to revoke');
    expect((await errorOf(() => identifierFromProto('0x04', IdentifierKind.PASSKEY, undefined))).code).toBe(IdentityErrorCodes.malformedUpdate);
    expect((await errorOf(() => inboxIdOf({ kind: 'ethereum', address: '0x12' }, 1n))).code).toBe(IdentityErrorCodes.invalidIdentifier);
  });
});
