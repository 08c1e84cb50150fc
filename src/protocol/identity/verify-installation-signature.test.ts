import { ed25519, ed25519ph } from '@noble/curves/ed25519.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, test } from 'vitest';
import { errorOf } from '../test-support/identity-builder.js';
import { IdentityErrorCodes } from './identity-errors.js';
import { signWithInstallationKey } from './sign-with-installation-key.js';
import { INSTALLATION_KEY_SIGNATURE_CONTEXT, verifyInstallationSignature } from './verify-installation-signature.js';

const secretKey = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const publicKey = ed25519.getPublicKey(secretKey);
const text = 'XMTP : Authenticate to inbox\n\nInbox ID: x';

describe('verifyInstallationSignature', () => {
  test('default: an Ed25519ph signature with the identity-update context verifies', () => {
    const signature = signWithInstallationKey({ secretKey, text });
    expect(verifyInstallationSignature({ signature, publicKey, text })).toEqual({
      kind: 'installation-key',
      signer: { kind: 'installation', key: publicKey },
      replayKey: signature,
    });
  });

  test('behavior: the context is the ASCII "IDENTITY UPDATE SIGNATURE"', () => {
    expect(new TextDecoder().decode(INSTALLATION_KEY_SIGNATURE_CONTEXT)).toBe('IDENTITY UPDATE SIGNATURE');
  });

  test('error: plain Ed25519 over the text does not verify', async () => {
    const plain = ed25519.sign(new TextEncoder().encode(text), secretKey);
    expect((await errorOf(() => verifyInstallationSignature({ signature: plain, publicKey, text }))).code).toBe(IdentityErrorCodes.invalidSignature);
  });

  test('error: Ed25519ph without the context, or with another one, does not verify', async () => {
    const message = new TextEncoder().encode(text);
    for (const signature of [
      ed25519ph.sign(message, secretKey),
      ed25519ph.sign(message, secretKey, { context: new TextEncoder().encode('PUBLIC SIGNATURE CONTEXT') }),
    ]) {
      expect((await errorOf(() => verifyInstallationSignature({ signature, publicKey, text }))).code).toBe(IdentityErrorCodes.invalidSignature);
    }
  });

  test('error: another text, another key, or a flipped bit', async () => {
    const signature = signWithInstallationKey({ secretKey, text });
    const flipped = signature.slice();
    flipped[10]! ^= 1;
    const other = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    for (const params of [
      { signature, publicKey, text: `${text}.` },
      { signature, publicKey: other, text },
      { signature: flipped, publicKey, text },
    ]) {
      expect((await errorOf(() => verifyInstallationSignature(params))).code).toBe(IdentityErrorCodes.invalidSignature);
    }
  });

  test('error: a key that is not 32 bytes or a signature that is not 64 bytes', async () => {
    const signature = signWithInstallationKey({ secretKey, text });
    const badKey = await errorOf(() => verifyInstallationSignature({ signature, publicKey: publicKey.subarray(1), text }));
    expect(badKey.message).toContain('32 bytes');
    const badSig = await errorOf(() => verifyInstallationSignature({ signature: signature.subarray(1), publicKey, text }));
    expect(badSig.message).toContain('64 bytes');
  });
});
