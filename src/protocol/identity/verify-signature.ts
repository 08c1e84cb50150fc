/**
 * Verifies any identity-update signature over the update's signature text by dispatching on its kind,
 * as libxmtp's `UnverifiedSignature::to_verified`. Pure except for what the injected verifiers do
 * (a chain RPC for smart-contract wallets); runs everywhere.
 *
 * Guarantees: ERC-191 and installation-key signatures are checked here; passkey and smart-contract
 * wallet signatures go to the verifiers in `deps`, and when one is missing the call fails with
 * `identity.unsupported_signature` rather than accepting anything. Legacy delegated signatures (V2 keys)
 * are refused as unsupported. Every failure is an XmtpError with a stable code.
 */
import type { RecoverablePasskeySignature, Signature } from '../../gen/identity/associations/signature_pb.js';
import { hashMessage } from 'viem';
import { parseAccountId } from './account-id.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';
import type { SmartContractWalletVerifier, VerifiedSignature } from './signature-types.js';
import { verifyErc191Signature } from './verify-erc191-signature.js';
import { verifyInstallationSignature } from './verify-installation-signature.js';

export interface VerifySignatureDependencies {
  /** Verifies a WebAuthn (P-256) passkey assertion over `text`; resolves to its signer or throws. */
  readonly verifyPasskey?: (signature: RecoverablePasskeySignature, text: string) => Promise<VerifiedSignature>;
  /** Checks ERC-1271 / ERC-6492 signatures of smart-contract wallets against their chain. */
  readonly smartContractWallet?: SmartContractWalletVerifier;
}

export type VerifySignatureReturnType = Promise<VerifiedSignature>;

/** Verifies `signature` over `text`; resolves to who signed, or throws an identity XmtpError. */
export async function verifySignature(
  signature: Signature | undefined,
  text: string,
  deps: VerifySignatureDependencies = {},
): VerifySignatureReturnType {
  const s = signature?.signature;
  switch (s?.case) {
    case 'erc191':
      return verifyErc191Signature({ signature: s.value.bytes, text });
    case 'installationKey':
      return verifyInstallationSignature({ signature: s.value.bytes, publicKey: s.value.publicKey, text });
    case 'passkey': {
      if (!deps.verifyPasskey) {
        throw identityError(IdentityErrorCodes.unsupportedSignature, 'Passkey signatures cannot be verified here: no passkey verifier is configured');
      }
      return deps.verifyPasskey(s.value, text);
    }
    case 'erc6492': {
      const verifier = deps.smartContractWallet;
      if (!verifier) {
        throw identityError(
          IdentityErrorCodes.unsupportedSignature,
          'Smart-contract wallet signatures cannot be verified here: no smart-contract wallet verifier is configured',
        );
      }
      const account = parseAccountId(s.value.accountId);
      const result = await verifier.verify({
        accountId: s.value.accountId,
        hash: hashMessage(text, 'bytes'),
        signature: s.value.signature.slice(),
        // libxmtp always passes the update's block number, 0 included.
        blockNumber: s.value.blockNumber,
      });
      if (!result.isValid) {
        throw identityError(
          IdentityErrorCodes.invalidSignature,
          `Invalid smart-contract wallet signature from ${s.value.accountId}${result.error ? `: ${result.error}` : ''}`,
        );
      }
      return {
        kind: 'erc1271',
        signer: { kind: 'ethereum', address: account.address },
        chainId: account.chainId,
        replayKey: s.value.signature.slice(),
      };
    }
    case 'delegatedErc191':
      throw identityError(
        IdentityErrorCodes.unsupportedSignature,
        'Legacy delegated signatures (XMTP V2 keys) are not supported by this client',
      );
    default:
      throw identityError(IdentityErrorCodes.malformedUpdate, 'Malformed identity update: a signature is missing');
  }
}
