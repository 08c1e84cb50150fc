import { create, fromBinary } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { PublishIdentityUpdateRequestSchema } from '../../gen/identity/api/v1/identity_pb.js';
import { IdentifierKind, IdentityUpdateSchema, type IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import { errorOf } from '../test-support/identity-builder.js';
import { libxmtpRequestBody } from '../test-support/libxmtp-fixtures.js';
import { createSignatureText, formatSignatureTime } from './create-signature-text.js';
import { IdentityErrorCodes } from './identity-errors.js';
import { deriveInboxId } from './inbox-id.js';
import { verifyErc191Signature } from './verify-erc191-signature.js';
import { verifyInstallationSignature } from './verify-installation-signature.js';

const libxmtpRegistration = () => fromBinary(PublishIdentityUpdateRequestSchema, libxmtpRequestBody('PublishIdentityUpdate')).identityUpdate!;

const eth = (address: string) => ({ kind: { case: 'ethereumAddress' as const, value: address } });
const installation = (key: Uint8Array) => ({ kind: { case: 'installationPublicKey' as const, value: key } });
const passkey = (key: Uint8Array) => ({ kind: { case: 'passkey' as const, value: { key } } });

describe('createSignatureText', () => {
  test("default: libxmtp's own test vector, byte for byte (unsigned_actions.rs create_signatures)", () => {
    const owner = '0x1234567890abcdef1234567890abcdef12345678';
    const newMember = '0x4567890abcdef1234567890abcdef12345678123';
    const update = create(IdentityUpdateSchema, {
      inboxId: deriveInboxId(owner, 0n),
      clientTimestampNs: 12n,
      actions: [
        { kind: { case: 'createInbox', value: { initialIdentifier: owner, nonce: 0n, initialIdentifierKind: IdentifierKind.ETHEREUM } } },
        { kind: { case: 'add', value: { newMemberIdentifier: eth(newMember) } } },
        { kind: { case: 'add', value: { newMemberIdentifier: installation(new Uint8Array([1, 2, 3])) } } },
        { kind: { case: 'revoke', value: { memberToRevoke: eth(newMember) } } },
        { kind: { case: 'revoke', value: { memberToRevoke: installation(new Uint8Array([1, 2, 3])) } } },
        { kind: { case: 'changeRecoveryAddress', value: { newRecoveryIdentifier: '0x7890abcdef1234567890abcdef12345678123456' } } },
      ],
    });
    expect(createSignatureText(update)).toBe(
      'XMTP : Authenticate to inbox\n' +
        '\n' +
        'Inbox ID: fcd18d86276d7a99fe522dba9660c420f03c8648785ada7c5daae232a3df77a9\n' +
        'Current time: 1970-01-01T00:00:00Z\n' +
        '\n' +
        '- Create inbox\n' +
        '  (Owner: 0x1234567890abcdef1234567890abcdef12345678)\n' +
        '- Link address to inbox\n' +
        '  (Address: 0x4567890abcdef1234567890abcdef12345678123)\n' +
        '- Grant messaging access to app\n' +
        '  (ID: 010203)\n' +
        '- Unlink address from inbox\n' +
        '  (Address: 0x4567890abcdef1234567890abcdef12345678123)\n' +
        '- Revoke messaging access from app\n' +
        '  (ID: 010203)\n' +
        '- Change inbox recovery address\n' +
        '  (Address: 0x7890abcdef1234567890abcdef12345678123456)\n' +
        '\n' +
        'For more info: https://xmtp.org/signatures',
    );
  });

  test('behavior: the text we make for a real libxmtp 1.10 registration makes both of its signatures verify', () => {
    const update = libxmtpRegistration();
    const text = createSignatureText(update);
    const [createAction, addAction] = update.actions.map((a) => a.kind);
    if (createAction?.case !== 'createInbox' || addAction?.case !== 'add') throw new Error('unexpected fixture');
    const wallet = createAction.value.initialIdentifierSignature!.signature;
    const installationSig = addAction.value.newMemberSignature!.signature;
    if (wallet.case !== 'erc191' || installationSig.case !== 'installationKey') throw new Error('unexpected signature kinds');

    const recovered = verifyErc191Signature({ signature: wallet.value.bytes, text });
    expect(recovered.signer).toEqual({ kind: 'ethereum', address: createAction.value.initialIdentifier });
    const verified = verifyInstallationSignature({ signature: installationSig.value.bytes, publicKey: installationSig.value.publicKey, text });
    expect(verified.signer.kind).toBe('installation');

    // One character off and neither verifies as before.
    const off = text.replace('Create inbox', 'Create inbox ');
    expect(verifyErc191Signature({ signature: wallet.value.bytes, text: off }).signer).not.toEqual(recovered.signer);
    expect(() => verifyInstallationSignature({ signature: installationSig.value.bytes, publicKey: installationSig.value.publicKey, text: off })).toThrow();
  });

  test('behavior: layout of the libxmtp registration text (blank lines, indent, seconds with Z, lowercase hex, no trailing newline)', () => {
    const update = libxmtpRegistration();
    const text = createSignatureText(update);
    expect(text).toBe(
      [
        'XMTP : Authenticate to inbox',
        '',
        `Inbox ID: ${update.inboxId}`,
        'Current time: 2026-11-26T07:23:46Z',
        '',
        '- Create inbox',
        '  (Owner: 0x8a1c2998fd172337eec68902477db2fc005fc8d8)',
        '- Grant messaging access to app',
        `  (ID: f4de385e8ed641d5a6f4569d8a962940e09078c7c14997be5990a1365ca53850)`,
        '',
        'For more info: https://xmtp.org/signatures',
      ].join('\n'),
    );
    expect(text.endsWith('\n')).toBe(false);
  });

  test('behavior: passkey actions use the lowercase key hex; the recovery line says Address even for a passkey', () => {
    const key = new Uint8Array([0x04, 0xab, 0xcd, 0xef]);
    const text = createSignatureText(
      create(IdentityUpdateSchema, {
        inboxId: 'ab'.repeat(32),
        clientTimestampNs: 1_000_000_000n,
        actions: [
          { kind: { case: 'createInbox', value: { initialIdentifier: '04ABCDEF', initialIdentifierKind: IdentifierKind.PASSKEY } } },
          { kind: { case: 'add', value: { newMemberIdentifier: passkey(key) } } },
          { kind: { case: 'revoke', value: { memberToRevoke: passkey(key) } } },
          { kind: { case: 'changeRecoveryAddress', value: { newRecoveryIdentifier: '04abcdef', newRecoveryIdentifierKind: IdentifierKind.PASSKEY } } },
        ],
      }),
    );
    expect(text).toContain('Current time: 1970-01-01T00:00:01Z\n');
    expect(text).toContain('- Create inbox\n  (Owner: 04abcdef)\n');
    expect(text).toContain('- Link passkey to inbox\n  (Passkey: 04abcdef)\n');
    expect(text).toContain('- Unlink passkey from inbox\n  (Passkey: 04abcdef)\n');
    expect(text).toContain('- Change inbox recovery address\n  (Address: 04abcdef)\n\n');
  });

  test('behavior: an UNSPECIFIED identifier kind is an Ethereum address, kept verbatim', () => {
    const text = createSignatureText(
      create(IdentityUpdateSchema, {
        inboxId: 'ab'.repeat(32),
        actions: [{ kind: { case: 'createInbox', value: { initialIdentifier: '0xABCdef', initialIdentifierKind: IdentifierKind.UNSPECIFIED } } }],
      }),
    );
    expect(text).toContain('(Owner: 0xABCdef)');
  });

  test('error: an action without a kind, a member without identifier, a passkey that is not hex', async () => {
    const cases: [string, IdentityUpdate][] = [
      ['has no action', create(IdentityUpdateSchema, { actions: [{}] })],
      ['missing action 0: new member identifier', create(IdentityUpdateSchema, { actions: [{ kind: { case: 'add', value: {} } }] })],
      [
        'not a hex passkey',
        create(IdentityUpdateSchema, {
          actions: [{ kind: { case: 'createInbox', value: { initialIdentifier: 'xyz', initialIdentifierKind: IdentifierKind.PASSKEY } } }],
        }),
      ],
    ];
    for (const [message, update] of cases) {
      const error = await errorOf(() => createSignatureText(update));
      expect(error.code).toBe(IdentityErrorCodes.malformedUpdate);
      expect(error.message).toContain(message);
    }
  });
});

describe('formatSignatureTime', () => {
  test('default: RFC 3339 at whole seconds with Z, rounded down', () => {
    expect(formatSignatureTime(0n)).toBe('1970-01-01T00:00:00Z');
    expect(formatSignatureTime(1_795_677_826_929_244_164n)).toBe('2026-11-26T07:23:46Z');
    expect(formatSignatureTime(1_999_999_999n)).toBe('1970-01-01T00:00:01Z');
  });

  test('behavior: the u64 is read as an i64 as chrono does (values past i64::MAX are before 1970)', () => {
    expect(formatSignatureTime((1n << 64n) - 1n)).toBe('1969-12-31T23:59:59Z');
    expect(formatSignatureTime((1n << 63n) - 1n)).toBe('2262-04-11T23:47:16Z');
  });
});
