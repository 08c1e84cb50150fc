import { ed25519, ed25519ph } from '@noble/curves/ed25519.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, test } from 'vitest';
import { errorOf } from '../test-support/identity-builder.js';
import { signWithInstallationKey } from './sign-with-installation-key.js';
import { verifyInstallationSignature } from './verify-installation-signature.js';

const secretKey = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const text = 'XMTP : Authenticate to inbox\n\nInbox ID: x';

describe('signWithInstallationKey', () => {
  test("default: ed25519ph is RFC 8032's Ed25519ph (test vector 7.3, 'abc', no context)", () => {
    const sk = hexToBytes('833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42');
    expect(Buffer.from(ed25519.getPublicKey(sk)).toString('hex')).toBe('ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf');
    expect(Buffer.from(ed25519ph.sign(new Uint8Array([0x61, 0x62, 0x63]), sk)).toString('hex')).toBe(
      '98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406',
    );
  });

  test('behavior: deterministic, 64 bytes, and verifiable as an installation signature', () => {
    const a = signWithInstallationKey({ secretKey, text });
    expect(a).toHaveLength(64);
    expect(signWithInstallationKey({ secretKey, text })).toEqual(a);
    expect(verifyInstallationSignature({ signature: a, publicKey: ed25519.getPublicKey(secretKey), text }).kind).toBe('installation-key');
  });

  test('error: a secret key that is not 32 bytes', async () => {
    expect((await errorOf(() => signWithInstallationKey({ secretKey: new Uint8Array(31), text }))).message).toContain('32 bytes');
  });
});
