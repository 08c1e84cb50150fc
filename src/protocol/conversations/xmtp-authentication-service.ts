/**
 * The ts-mls AuthenticationService for XMTP leaves: a credential is acceptable when it is a Basic
 * credential whose identity is an `MlsCredential` protobuf naming a well-formed inbox id. Whether
 * the leaf's installation belongs to that inbox is an identity question answered outside ts-mls
 * (welcome validation, `validate-welcome-membership.ts`). Pure; runs everywhere.
 */
import { fromBinary } from '@bufbuild/protobuf';
import type { AuthenticationService, Credential } from 'ts-mls';
import { MlsCredentialSchema } from '../../gen/identity/credential_pb.js';
import { BASIC_CREDENTIAL_TYPE } from '../mls/xmtp-extensions.js';

/** The inbox id in an XMTP leaf credential, or undefined when it is not one. */
export function inboxIdOfCredential(credential: Credential): string | undefined {
  if (credential.credentialType !== BASIC_CREDENTIAL_TYPE || !('identity' in credential)) return undefined;
  try {
    const inboxId = fromBinary(MlsCredentialSchema, credential.identity).inboxId;
    return /^[0-9a-f]{64}$/.test(inboxId) ? inboxId : undefined;
  } catch {
    return undefined;
  }
}

export const xmtpAuthenticationService: AuthenticationService = {
  validateCredential: (credential, signaturePublicKey) =>
    Promise.resolve(signaturePublicKey.length === 32 && inboxIdOfCredential(credential) !== undefined),
};
