import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { PublishIdentityUpdateRequestSchema } from '../../gen/identity/api/v1/identity_pb.js';
import { libxmtpRequestBody } from '../test-support/libxmtp-fixtures.js';
import { DEFAULT_INBOX_NONCE, deriveInboxId } from './inbox-id.js';

const libxmtpRegistration = () => fromBinary(PublishIdentityUpdateRequestSchema, libxmtpRequestBody('PublishIdentityUpdate')).identityUpdate!;

describe('deriveInboxId', () => {
  test("default: libxmtp's test vector (unsigned_actions.rs)", () => {
    expect(deriveInboxId('0x1234567890abcdef1234567890abcdef12345678', 0n)).toBe('fcd18d86276d7a99fe522dba9660c420f03c8648785ada7c5daae232a3df77a9');
  });

  test('behavior: a real libxmtp 1.10 registration uses nonce 1 and this derivation', () => {
    const create = libxmtpRegistration().actions[0]!.kind;
    if (create.case !== 'createInbox') throw new Error('expected CreateInbox');
    expect(create.value.nonce).toBe(DEFAULT_INBOX_NONCE);
    expect(DEFAULT_INBOX_NONCE).toBe(1n);
    expect(deriveInboxId(create.value.initialIdentifier, DEFAULT_INBOX_NONCE)).toBe(libxmtpRegistration().inboxId);
    expect(libxmtpRegistration().inboxId).toBe('1f25de476c59279fff6ebf48255a09d1c6b59db2ac659ebf1342031f8a772c8c');
  });

  test('behavior: the nonce is written in decimal with no separator', () => {
    const a = deriveInboxId('0x1234567890abcdef1234567890abcdef12345678', 10n);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(deriveInboxId('0x1234567890abcdef1234567890abcdef12345678', 1n));
    expect(deriveInboxId('0x1234567890abcdef1234567890abcdef1234567', 81n)).toBe(deriveInboxId('0x1234567890abcdef1234567890abcdef12345678', 1n));
  });

  test('error: a nonce that is not a u64', () => {
    expect(() => deriveInboxId('0x1234567890abcdef1234567890abcdef12345678', -1n)).toThrow(/u64/);
    expect(() => deriveInboxId('0x1234567890abcdef1234567890abcdef12345678', 1n << 64n)).toThrow(/u64/);
  });
});
