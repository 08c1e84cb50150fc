/**
 * An IdentitySigner over an installation's Ed25519 key. Pure; runs everywhere (the key stays in the
 * caller's memory: in the extension, only the background service worker holds one).
 *
 * Guarantees: signs with `signWithInstallationKey` and returns an `installation_key` Signature carrying
 * the 32-byte public key, as libxmtp does.
 */
import { create } from '@bufbuild/protobuf';
import { ed25519 } from '@noble/curves/ed25519.js';
import { SignatureSchema } from '../../gen/identity/associations/signature_pb.js';
import type { IdentitySigner } from './identity-signer.js';
import { signWithInstallationKey } from './sign-with-installation-key.js';

export interface CreateInstallationSignerParameters {
  /** The installation's 32-byte Ed25519 secret key (seed). */
  readonly secretKey: Uint8Array;
}

export type CreateInstallationSignerReturnType = IdentitySigner & {
  readonly identifier: { readonly kind: 'installation'; readonly key: Uint8Array };
};

export function createInstallationSigner({ secretKey }: CreateInstallationSignerParameters): CreateInstallationSignerReturnType {
  const secret = secretKey.slice();
  const publicKey = ed25519.getPublicKey(secret);
  return {
    identifier: { kind: 'installation', key: publicKey },
    sign: (text) =>
      Promise.resolve(
        create(SignatureSchema, {
          signature: {
            case: 'installationKey',
            value: { bytes: signWithInstallationKey({ secretKey: secret, text }), publicKey: publicKey.slice() },
          },
        }),
      ),
  };
}
