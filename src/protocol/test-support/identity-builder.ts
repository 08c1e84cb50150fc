/**
 * Test-only builder of real, signed identity updates: wallets are viem private-key accounts,
 * installations are noble Ed25519 keys, and every signature is made over the update's real
 * signature text. Node only (tests).
 */
import { create } from '@bufbuild/protobuf';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import {
  IdentityActionSchema,
  IdentityUpdateSchema,
  type IdentityAction,
  type IdentityUpdate,
} from '../../gen/identity/associations/association_pb.js';
import { SignatureSchema, type RecoverablePasskeySignature, type Signature } from '../../gen/identity/associations/signature_pb.js';
import { XmtpError } from '../errors.js';
import { createEoaSigner, type CreateEoaSignerReturnType } from '../identity/create-eoa-signer.js';
import { createInstallationSigner, type CreateInstallationSignerReturnType } from '../identity/create-installation-signer.js';
import { createSignatureText } from '../identity/create-signature-text.js';
import type { IdentitySigner } from '../identity/identity-signer.js';
import { DEFAULT_INBOX_NONCE } from '../identity/inbox-id.js';
import { identifierToProto, inboxIdOf, memberIdToProto, type PublicIdentifier } from '../identity/member-id.js';
import type { MemberId, SmartContractWalletVerifier, VerifiedSignature } from '../identity/signature-types.js';

export interface TestWallet extends CreateEoaSignerReturnType {
  readonly account: PrivateKeyAccount;
  readonly address: string;
}

export interface TestInstallation extends CreateInstallationSignerReturnType {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A fresh EOA wallet (random key unless one is given). */
export function newWallet(privateKey: `0x${string}` = generatePrivateKey()): TestWallet {
  const account = privateKeyToAccount(privateKey);
  const signer = createEoaSigner({ account });
  return { ...signer, account, address: signer.identifier.address };
}

/** A fresh installation key (random unless a 32-byte secret is given). */
export function newInstallation(secretKey: Uint8Array = ed25519.utils.randomSecretKey()): TestInstallation {
  const signer = createInstallationSigner({ secretKey });
  return { ...signer, secretKey, publicKey: signer.identifier.key };
}

/** One action to build; each names who signs it. */
export type ActionSpec =
  | { readonly kind: 'createInbox'; readonly signer: IdentitySigner; readonly nonce?: bigint }
  | { readonly kind: 'add'; readonly existing: IdentitySigner; readonly newMember: IdentitySigner }
  | { readonly kind: 'revoke'; readonly recovery: IdentitySigner; readonly member: MemberId }
  | { readonly kind: 'changeRecoveryAddress'; readonly recovery: IdentitySigner; readonly newRecovery: PublicIdentifier };

export interface BuildUpdateParameters {
  readonly inboxId: string;
  readonly actions: readonly ActionSpec[];
  /** Defaults to a fixed, distinct-per-call timestamp. */
  readonly clientTimestampNs?: bigint;
}

let clock = 1_700_000_000_000_000_000n;

const placeholder = (): Signature => create(SignatureSchema, {});

/**
 * Builds the update, makes its signature text, and has each distinct signer sign it once (so a wallet
 * signing two actions contributes the same bytes to both, as in libxmtp registration).
 */
export async function buildUpdate({ inboxId, actions, clientTimestampNs }: BuildUpdateParameters): Promise<IdentityUpdate> {
  clock += 1_000_000_000n;
  const slots: [IdentitySigner, (signature: Signature) => void][] = [];
  const protoActions: IdentityAction[] = actions.map((spec) => {
    switch (spec.kind) {
      case 'createInbox': {
        const id = spec.signer.identifier;
        if (id.kind === 'installation') throw new Error('an installation cannot create an inbox');
        const { identifier, kind } = identifierToProto(id);
        const value = { initialIdentifier: identifier, initialIdentifierKind: kind, nonce: spec.nonce ?? DEFAULT_INBOX_NONCE, initialIdentifierSignature: placeholder() };
        const action = create(IdentityActionSchema, { kind: { case: 'createInbox', value } });
        slots.push([spec.signer, (s) => { if (action.kind.case === 'createInbox') action.kind.value.initialIdentifierSignature = s; }]);
        return action;
      }
      case 'add': {
        const action = create(IdentityActionSchema, {
          kind: { case: 'add', value: { newMemberIdentifier: memberIdToProto(spec.newMember.identifier), existingMemberSignature: placeholder(), newMemberSignature: placeholder() } },
        });
        slots.push([spec.newMember, (s) => { if (action.kind.case === 'add') action.kind.value.newMemberSignature = s; }]);
        slots.push([spec.existing, (s) => { if (action.kind.case === 'add') action.kind.value.existingMemberSignature = s; }]);
        return action;
      }
      case 'revoke': {
        const action = create(IdentityActionSchema, {
          kind: { case: 'revoke', value: { memberToRevoke: memberIdToProto(spec.member), recoveryIdentifierSignature: placeholder() } },
        });
        slots.push([spec.recovery, (s) => { if (action.kind.case === 'revoke') action.kind.value.recoveryIdentifierSignature = s; }]);
        return action;
      }
      case 'changeRecoveryAddress': {
        const { identifier, kind } = identifierToProto(spec.newRecovery);
        const action = create(IdentityActionSchema, {
          kind: {
            case: 'changeRecoveryAddress',
            value: { newRecoveryIdentifier: identifier, newRecoveryIdentifierKind: kind, existingRecoveryIdentifierSignature: placeholder() },
          },
        });
        slots.push([spec.recovery, (s) => { if (action.kind.case === 'changeRecoveryAddress') action.kind.value.existingRecoveryIdentifierSignature = s; }]);
        return action;
      }
    }
  });
  const update = create(IdentityUpdateSchema, { inboxId, clientTimestampNs: clientTimestampNs ?? clock, actions: protoActions });
  const text = createSignatureText(update);
  const signed = new Map<IdentitySigner, Signature>();
  for (const [signer, put] of slots) {
    let signature = signed.get(signer);
    if (!signature) {
      signature = await signer.sign(text);
      signed.set(signer, signature);
    }
    put(signature);
  }
  return update;
}

/** The inbox id `wallet` owns with `nonce` (libxmtp's default nonce unless given). */
export function inboxIdFor(wallet: IdentitySigner, nonce: bigint = DEFAULT_INBOX_NONCE): string {
  const id = wallet.identifier;
  if (id.kind === 'installation') throw new Error('an installation owns no inbox');
  return inboxIdOf(id, nonce);
}

/** libxmtp's registration: one update creating the inbox and adding the installation, the wallet signing both. */
export function buildRegistration(wallet: IdentitySigner, installation: IdentitySigner, nonce: bigint = DEFAULT_INBOX_NONCE): Promise<IdentityUpdate> {
  return buildUpdate({
    inboxId: inboxIdFor(wallet, nonce),
    actions: [
      { kind: 'createInbox', signer: wallet, nonce },
      { kind: 'add', existing: wallet, newMember: installation },
    ],
  });
}

/** The XmtpError `run` throws or rejects with (fails the test if it succeeds or throws something else). */
export async function errorOf(run: () => unknown): Promise<XmtpError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof XmtpError) return error;
    throw error;
  }
  throw new Error('expected an XmtpError, but nothing was thrown');
}

/**
 * A smart-contract wallet signer for reducer tests: its `erc_6492` signatures carry random bytes and
 * are accepted by `acceptingScwVerifier` (the real ERC-1271/6492 verifier has its own tests).
 */
export function newScwSigner(chainId: bigint, address = newWallet().address): IdentitySigner & { readonly identifier: { kind: 'ethereum'; address: string } } {
  return {
    identifier: { kind: 'ethereum', address },
    sign: () =>
      Promise.resolve(
        create(SignatureSchema, {
          signature: { case: 'erc6492', value: { accountId: `eip155:${chainId}:${address}`, blockNumber: 1n, signature: randomBytes(65) } },
        }),
      ),
  };
}

/** Accepts every smart-contract wallet signature (stands in for a chain in reducer tests). */
export const acceptingScwVerifier: SmartContractWalletVerifier = {
  verify: ({ blockNumber }) => Promise.resolve({ isValid: true, ...(blockNumber === undefined ? {} : { blockNumber }) }),
};

/**
 * A passkey signer for reducer tests: its "assertion" is SHA-256 of the text, which
 * `fakePasskeyVerifier` checks (the real WebAuthn verifier has its own tests).
 */
export function newPasskeySigner(key: Uint8Array = Uint8Array.of(4, ...randomBytes(64))): IdentitySigner & { readonly identifier: { kind: 'passkey'; key: Uint8Array } } {
  return {
    identifier: { kind: 'passkey', key },
    sign: (text) =>
      Promise.resolve(
        create(SignatureSchema, {
          signature: { case: 'passkey', value: { publicKey: key, signature: sha256(new TextEncoder().encode(text)), clientDataJson: new TextEncoder().encode('{"origin":"https://test.local"}') } },
        }),
      ),
  };
}

export const fakePasskeyVerifier = (signature: RecoverablePasskeySignature, text: string): Promise<VerifiedSignature> => {
  const expected = sha256(new TextEncoder().encode(text));
  if (signature.signature.length !== expected.length || !signature.signature.every((b, i) => b === expected[i])) {
    return Promise.reject(new XmtpError('identity.invalid_signature', 'fake passkey signature does not match the text'));
  }
  return Promise.resolve({
    kind: 'passkey',
    signer: { kind: 'passkey', key: signature.publicKey.slice(), relyingParty: 'https://test.local' },
    replayKey: signature.signature.slice(),
  });
};

/** A signer that claims `identifier` but signs with `actual`: for forged-signature tests. */
export function impostor(identifier: MemberId, actual: IdentitySigner): IdentitySigner {
  return { identifier, sign: (text) => actual.sign(text) };
}
