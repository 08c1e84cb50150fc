/**
 * Test-only builder of real, signed identity updates: wallets are viem private-key accounts,
 * installations are noble Ed25519 keys, and every signature is made over the update's real
 * signature text. Node only (tests).
 */
import { create } from '@bufbuild/protobuf';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import type { IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import { SignatureSchema, type RecoverablePasskeySignature } from '../../gen/identity/associations/signature_pb.js';
import { XmtpError } from '../errors.js';
import { createEoaSigner, type CreateEoaSignerReturnType } from '../identity/create-eoa-signer.js';
import { createInstallationSigner, type CreateInstallationSignerReturnType } from '../identity/create-installation-signer.js';
import { buildIdentityUpdate, type BuildIdentityUpdateParameters } from '../identity/build-identity-update.js';
import type { IdentitySigner } from '../identity/identity-signer.js';
import { DEFAULT_INBOX_NONCE } from '../identity/inbox-id.js';
import { inboxIdOf } from '../identity/member-id.js';
import { passkeyChallenge } from '../identity/passkey.js';
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
export type { ActionSpec } from '../identity/build-identity-update.js';

export interface BuildUpdateParameters extends Omit<BuildIdentityUpdateParameters, 'clientTimestampNs'> {
  /** Defaults to a fixed, distinct-per-call timestamp. */
  readonly clientTimestampNs?: bigint;
}

let clock = 1_700_000_000_000_000_000n;

/** buildIdentityUpdate with a made-up, increasing timestamp. */
export function buildUpdate({ clientTimestampNs, ...rest }: BuildUpdateParameters): Promise<IdentityUpdate> {
  clock += 1_000_000_000n;
  return buildIdentityUpdate({ ...rest, clientTimestampNs: clientTimestampNs ?? clock });
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

/**
 * A real passkey, as a WebAuthn authenticator would use it: a P-256 key that signs
 * authenticatorData ‖ SHA-256(clientDataJSON) with the challenge set to base64url(signature text).
 * (Browser-made assertions are proven in e2e/passkey.spec.ts; this one serves Node tests.)
 */
export function newWebAuthnPasskey(origin = 'https://localhost', rpId = 'localhost'): IdentitySigner & {
  readonly identifier: { kind: 'passkey'; key: Uint8Array };
} {
  const secretKey = p256.utils.randomSecretKey();
  const key = p256.getPublicKey(secretKey, false);
  let counter = 0;
  return {
    identifier: { kind: 'passkey', key },
    sign: (text) => {
      counter += 1;
      const authenticatorData = new Uint8Array([...sha256(new TextEncoder().encode(rpId)), 0x05, 0, 0, 0, counter]);
      const clientDataJson = new TextEncoder().encode(JSON.stringify({ type: 'webauthn.get', challenge: passkeyChallenge(text), origin }));
      const signed = new Uint8Array([...authenticatorData, ...sha256(clientDataJson)]);
      const signature = p256.sign(sha256(signed), secretKey, { prehash: false, format: 'der' });
      return Promise.resolve(
        create(SignatureSchema, { signature: { case: 'passkey', value: { publicKey: key, signature, authenticatorData, clientDataJson } } }),
      );
    },
  };
}
