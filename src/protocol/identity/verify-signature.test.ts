import { create } from '@bufbuild/protobuf';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { hashMessage } from 'viem';
import { describe, expect, test, vi } from 'vitest';
import { SignatureSchema, type RecoverablePasskeySignature } from '../../gen/identity/associations/signature_pb.js';
import { errorOf, newInstallation, newWallet } from '../test-support/identity-builder.js';
import { IdentityErrorCodes } from './identity-errors.js';
import type { SmartContractWalletVerifier, VerifiedSignature } from './signature-types.js';
import { verifySignature } from './verify-signature.js';

const text = 'XMTP : Authenticate to inbox\n\nInbox ID: abc';
const scwAddress = '0xAbCdEf0123456789abcdef0123456789ABCDEF01';

function scwSignature(accountId = `eip155:8453:${scwAddress}`, blockNumber = 1234n) {
  return create(SignatureSchema, { signature: { case: 'erc6492', value: { accountId, blockNumber, signature: new Uint8Array([1, 2, 3]) } } });
}

function fakeScwVerifier(isValid = true): SmartContractWalletVerifier & { calls: Parameters<SmartContractWalletVerifier['verify']>[0][] } {
  const calls: Parameters<SmartContractWalletVerifier['verify']>[0][] = [];
  return {
    calls,
    verify: (params) => {
      calls.push(params);
      return Promise.resolve(isValid ? { isValid, blockNumber: params.blockNumber } : { isValid, error: 'execution reverted' });
    },
  };
}

describe('verifySignature', () => {
  test('default: an ERC-191 wallet signature resolves to the wallet', async () => {
    const wallet = newWallet();
    const verified = await verifySignature(await wallet.sign(text), text);
    expect(verified.kind).toBe('erc191');
    expect(verified.signer).toEqual(wallet.identifier);
  });

  test('behavior: an installation-key signature resolves to the installation', async () => {
    const installation = newInstallation();
    const verified = await verifySignature(await installation.sign(text), text);
    expect(verified).toMatchObject({ kind: 'installation-key', signer: { kind: 'installation', key: installation.publicKey } });
  });

  test('behavior: passkey signatures go to deps.verifyPasskey with the text', async () => {
    const key = new Uint8Array([4, 1, 2]);
    const result: VerifiedSignature = { kind: 'passkey', signer: { kind: 'passkey', key, relyingParty: 'https://x' }, replayKey: new Uint8Array([9]) };
    const verifyPasskey = vi.fn((_sig: RecoverablePasskeySignature, _text: string) => Promise.resolve(result));
    const signature = create(SignatureSchema, { signature: { case: 'passkey', value: { publicKey: key, signature: new Uint8Array([9]) } } });
    expect(await verifySignature(signature, text, { verifyPasskey })).toBe(result);
    expect(verifyPasskey).toHaveBeenCalledWith(signature.signature.value, text);
  });

  test('behavior: smart-contract wallet signatures are checked with the EIP-191 digest; signer = lowercase address, chain id from the account id', async () => {
    const verifier = fakeScwVerifier();
    const verified = await verifySignature(scwSignature(), text, { smartContractWallet: verifier });
    expect(verified).toEqual({
      kind: 'erc1271',
      signer: { kind: 'ethereum', address: scwAddress.toLowerCase() },
      chainId: 8453n,
      replayKey: new Uint8Array([1, 2, 3]),
    });
    expect(verifier.calls).toHaveLength(1);
    expect(bytesToHex(verifier.calls[0]!.hash)).toBe(hashMessage(text).slice(2));
    expect(verifier.calls[0]).toMatchObject({ accountId: `eip155:8453:${scwAddress}`, blockNumber: 1234n, signature: new Uint8Array([1, 2, 3]) });
  });

  test('error: a smart-contract wallet signature the chain refuses', async () => {
    const error = await errorOf(() => verifySignature(scwSignature(), text, { smartContractWallet: fakeScwVerifier(false) }));
    expect(error.code).toBe(IdentityErrorCodes.invalidSignature);
    expect(error.message).toContain('execution reverted');
  });

  test('error: a malformed account id is refused before any chain call', async () => {
    const verifier = fakeScwVerifier();
    const error = await errorOf(() => verifySignature(scwSignature(`eip155:${scwAddress}`), text, { smartContractWallet: verifier }));
    expect(error.code).toBe(IdentityErrorCodes.invalidAccountId);
    expect(verifier.calls).toHaveLength(0);
  });

  test('error: passkey or smart-contract wallet signatures without their verifier are unsupported', async () => {
    const passkey = create(SignatureSchema, { signature: { case: 'passkey', value: {} } });
    for (const signature of [passkey, scwSignature()]) {
      const error = await errorOf(() => verifySignature(signature, text, {}));
      expect(error.code).toBe(IdentityErrorCodes.unsupportedSignature);
      expect(error.message).toMatch(/no (passkey|smart-contract wallet) verifier is configured/);
    }
  });

  test('error: legacy delegated signatures are refused as unsupported', async () => {
    const legacy = create(SignatureSchema, { signature: { case: 'delegatedErc191', value: {} } });
    const error = await errorOf(() => verifySignature(legacy, text));
    expect(error.code).toBe(IdentityErrorCodes.unsupportedSignature);
    expect(error.message).toContain('Legacy delegated');
  });

  test('error: an empty or missing signature is malformed', async () => {
    expect((await errorOf(() => verifySignature(create(SignatureSchema), text))).code).toBe(IdentityErrorCodes.malformedUpdate);
    expect((await errorOf(() => verifySignature(undefined, text))).code).toBe(IdentityErrorCodes.malformedUpdate);
  });

  test('error: a bad ERC-191 or installation signature', async () => {
    const erc191 = create(SignatureSchema, { signature: { case: 'erc191', value: { bytes: new Uint8Array(65) } } });
    const installation = create(SignatureSchema, {
      signature: { case: 'installationKey', value: { bytes: new Uint8Array(64), publicKey: ed25519.getPublicKey(ed25519.utils.randomSecretKey()) } },
    });
    for (const signature of [erc191, installation]) {
      expect((await errorOf(() => verifySignature(signature, text))).code).toBe(IdentityErrorCodes.invalidSignature);
    }
  });
});
