import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, test } from 'vitest';
import { createInstallationSigner } from './create-installation-signer.js';
import { verifySignature } from './verify-signature.js';

describe('createInstallationSigner', () => {
  test('default: an installation_key signature carrying the public key, verifiable over the text', async () => {
    const secretKey = ed25519.utils.randomSecretKey();
    const signer = createInstallationSigner({ secretKey });
    expect(signer.identifier).toEqual({ kind: 'installation', key: ed25519.getPublicKey(secretKey) });
    const signature = await signer.sign('hello');
    if (signature.signature.case !== 'installationKey') throw new Error('expected an installation key signature');
    expect(signature.signature.value.publicKey).toEqual(signer.identifier.key);
    expect((await verifySignature(signature, 'hello')).signer).toEqual(signer.identifier);
  });

  test('behavior: later changes to the caller’s key buffer do not change the signer', async () => {
    const secretKey = ed25519.utils.randomSecretKey();
    const signer = createInstallationSigner({ secretKey });
    secretKey.fill(0);
    expect((await verifySignature(await signer.sign('x'), 'x')).signer).toEqual(signer.identifier);
  });
});
