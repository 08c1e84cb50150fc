import { describe, expect, test } from 'vitest';
import { privateKeyToAccount } from 'viem/accounts';
import { errorOf } from '../test-support/identity-builder.js';
import { createEoaSigner } from './create-eoa-signer.js';
import { IdentityErrorCodes } from './identity-errors.js';
import { verifySignature } from './verify-signature.js';

const account = privateKeyToAccount('0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');

describe('createEoaSigner', () => {
  test('default: signs the text with personal_sign as the lowercase address', async () => {
    const signer = createEoaSigner({ account });
    expect(signer.identifier).toEqual({ kind: 'ethereum', address: account.address.toLowerCase() });
    const signature = await signer.sign('hello');
    expect(signature.signature.case).toBe('erc191');
    expect((await verifySignature(signature, 'hello')).signer).toEqual(signer.identifier);
  });

  test('behavior: works over any viem-style signMessage (e.g. a wallet client)', async () => {
    const signer = createEoaSigner({ account: { address: account.address, signMessage: ({ message }) => account.signMessage({ message }) } });
    expect((await verifySignature(await signer.sign('x'), 'x')).signer).toEqual(signer.identifier);
  });

  test('error: a wallet that returns something other than 65 bytes', async () => {
    const signer = createEoaSigner({ account: { address: account.address, signMessage: () => Promise.resolve('0x1234') } });
    expect((await errorOf(() => signer.sign('x'))).code).toBe(IdentityErrorCodes.invalidSignature);
  });

  test('error: an account with a malformed address', async () => {
    expect((await errorOf(() => createEoaSigner({ account: { address: '0x12', signMessage: account.signMessage } }))).code).toBe(
      IdentityErrorCodes.invalidIdentifier,
    );
  });
});
