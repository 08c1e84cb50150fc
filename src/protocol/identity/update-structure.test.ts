import { clone, create, fromBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { PublishIdentityUpdateRequestSchema } from '../../gen/identity/api/v1/identity_pb.js';
import { IdentityUpdateSchema, type IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import { XmtpError } from '../errors.js';
import { libxmtpRequestBody } from '../test-support/libxmtp-fixtures.js';
import { checkUpdateStructure, deriveInboxId, IdentityErrorCodes } from './update-structure.js';

const libxmtpUpdate = () => fromBinary(PublishIdentityUpdateRequestSchema, libxmtpRequestBody('PublishIdentityUpdate')).identityUpdate!;

function errorOf(fn: () => unknown): XmtpError {
  try {
    fn();
  } catch (e) {
    if (e instanceof XmtpError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('deriveInboxId', () => {
  test("default: libxmtp's test vector", () => {
    expect(deriveInboxId('0x1234567890abcdef1234567890abcdef12345678', 0n)).toBe('fcd18d86276d7a99fe522dba9660c420f03c8648785ada7c5daae232a3df77a9');
  });
});

describe('checkUpdateStructure', () => {
  test('default: a real libxmtp registration creates the inbox and indexes its address', () => {
    const update = libxmtpUpdate();
    const changes = checkUpdateStructure(update, true);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ kind: 'ethereum', change: 'added' });
    expect(changes[0]!.identifier).toMatch(/^0x[0-9a-f]{40}$/);
  });

  test('error: creating an inbox that already has a log', () => {
    expect(errorOf(() => checkUpdateStructure(libxmtpUpdate(), false)).code).toBe(IdentityErrorCodes.inboxExists);
  });

  test('error: an inbox id not derived from the identifier and nonce', () => {
    const update: IdentityUpdate = clone(IdentityUpdateSchema, libxmtpUpdate());
    update.inboxId = 'ab'.repeat(32);
    expect(errorOf(() => checkUpdateStructure(update, true)).code).toBe(IdentityErrorCodes.inboxIdMismatch);
  });

  test('error: a first update that does not create the inbox', () => {
    const update = clone(IdentityUpdateSchema, libxmtpUpdate());
    update.actions = update.actions.slice(1);
    expect(errorOf(() => checkUpdateStructure(update, true)).code).toBe(IdentityErrorCodes.inboxMissing);
  });

  test('error: malformed updates name the problem', () => {
    const cases: [string, (u: IdentityUpdate) => void][] = [
      ['no actions', (u) => (u.actions = [])],
      ['64 lowercase hex', (u) => (u.inboxId = u.inboxId.toUpperCase())],
      ['missing new member signature', (u) => {
        const a = u.actions[1]!.kind;
        if (a.case === 'add') a.value.newMemberSignature = undefined;
      }],
      ['no action', (u) => u.actions.push(create(IdentityUpdateSchema).actions[0] ?? ({ $typeName: 'xmtp.identity.associations.IdentityAction', kind: { case: undefined } } as never))],
    ];
    for (const [message, mutate] of cases) {
      const update = clone(IdentityUpdateSchema, libxmtpUpdate());
      mutate(update);
      const error = errorOf(() => checkUpdateStructure(update, true));
      expect(error.code, message).toBe(IdentityErrorCodes.malformedUpdate);
      expect(error.message).toContain(message);
    }
  });
});
