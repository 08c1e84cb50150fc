/**
 * The e2e test page for passkeys: bundles the real signer (src/keystore/passkey-signer.ts) and exposes
 * it to Playwright as `window.passkeyTest`, with bytes as hex so results cross page.evaluate as JSON.
 * Built and served by e2e/passkey.spec.ts on http://localhost:<port>.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { XmtpError } from '../../src/protocol/errors.js';
import { createPasskey, signWithPasskey } from '../../src/keystore/passkey-signer.js';

export interface PasskeyTestApi {
  create(options: { rpId: string; rpName: string; userName: string }): Promise<{ credentialId: string; publicKeyHex: string }>;
  sign(options: { credentialId: string; publicKeyHex: string; text: string; rpId: string }): Promise<
    | { ok: true; publicKey: string; signature: string; authenticatorData: string; clientDataJson: string }
    | { ok: false; code: string; message: string }
  >;
}

const api: PasskeyTestApi = {
  async create(options) {
    const created = await createPasskey(options);
    return { credentialId: created.credentialId, publicKeyHex: bytesToHex(created.publicKey) };
  },
  async sign({ credentialId, publicKeyHex, text, rpId }) {
    try {
      const sig = await signWithPasskey({ credentialId, publicKey: hexToBytes(publicKeyHex), text, rpId });
      return {
        ok: true,
        publicKey: bytesToHex(sig.publicKey),
        signature: bytesToHex(sig.signature),
        authenticatorData: bytesToHex(sig.authenticatorData),
        clientDataJson: bytesToHex(sig.clientDataJson),
      };
    } catch (error) {
      const e = XmtpError.from(error);
      return { ok: false, code: e.code, message: e.message };
    }
  },
};

(window as unknown as { passkeyTest: PasskeyTestApi }).passkeyTest = api;
document.body.dataset.ready = 'true';
