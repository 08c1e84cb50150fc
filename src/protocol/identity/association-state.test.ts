import { describe, expect, test } from 'vitest';
import {
  findMember,
  getIdentifiers,
  getInstallationIds,
  getInstallations,
  getMembers,
  getRecoveryIdentifier,
  hasSeenSignature,
  snapshotState,
  type AssociationState,
} from './association-state.js';

const owner = { kind: 'ethereum', address: `0x${'1'.repeat(40)}` } as const;
const passkey = { kind: 'passkey', key: new Uint8Array([4, 5, 6]), relyingParty: 'https://a.example' } as const;
const phone = { kind: 'installation', key: new Uint8Array(32).fill(2) } as const;
const laptop = { kind: 'installation', key: new Uint8Array(32).fill(3) } as const;

const state: AssociationState = {
  inboxId: 'ab'.repeat(32),
  members: [
    { identifier: owner },
    { identifier: laptop, addedByEntity: owner, clientTimestampNs: 30n },
    { identifier: passkey, addedByEntity: owner, clientTimestampNs: 20n },
    { identifier: phone, addedByEntity: passkey, clientTimestampNs: 30n },
  ],
  recoveryIdentifier: owner,
  seenSignatures: ['0102'],
};

describe('association state helpers', () => {
  test('default: members ordered by when they were added, the first identifier last, ties in order (libxmtp members())', () => {
    expect(getMembers(state).map((m) => m.identifier)).toEqual([passkey, laptop, phone, owner]);
  });

  test('behavior: installations, their ids, identifiers and the recovery identifier', () => {
    expect(getInstallations(state)).toEqual([
      { key: laptop.key, id: '03'.repeat(32), clientTimestampNs: 30n },
      { key: phone.key, id: '02'.repeat(32), clientTimestampNs: 30n },
    ]);
    expect(getInstallationIds(state)).toEqual([laptop.key, phone.key]);
    expect(getIdentifiers(state)).toEqual([passkey, owner]);
    expect(getRecoveryIdentifier(state)).toBe(owner);
  });

  test('behavior: findMember compares passkeys by key only, as libxmtp does', () => {
    expect(findMember(state, { kind: 'passkey', key: new Uint8Array([4, 5, 6]) })?.identifier).toBe(passkey);
    expect(findMember(state, { kind: 'passkey', key: new Uint8Array([4, 5, 6]), relyingParty: 'https://other' })).toBeDefined();
    expect(findMember(state, { kind: 'installation', key: new Uint8Array([4, 5, 6]) })).toBeUndefined();
    expect(findMember(state, { kind: 'ethereum', address: owner.address.toUpperCase() })).toBeUndefined();
  });

  test('behavior: hasSeenSignature looks replay keys up by their hex', () => {
    expect(hasSeenSignature(state, new Uint8Array([1, 2]))).toBe(true);
    expect(hasSeenSignature(state, new Uint8Array([1, 3]))).toBe(false);
  });

  test('behavior: snapshotState makes a deep frozen copy that shares no object or buffer', () => {
    const copy = snapshotState(state);
    expect(copy).toEqual(state);
    expect(Object.isFrozen(copy) && Object.isFrozen(copy.members) && Object.isFrozen(copy.members[1]!.identifier)).toBe(true);
    expect(copy.members[1]!.identifier).not.toBe(state.members[1]!.identifier);
    expect((copy.members[1]!.identifier as typeof laptop).key).not.toBe(laptop.key);
    expect(structuredClone(copy)).toEqual(copy);
  });
});
