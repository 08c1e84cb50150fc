/**
 * The signer of identity updates: anything that can sign an update's signature text as one member
 * (a wallet, a passkey, an installation). Pure types; runs everywhere.
 */
import type { Signature } from '../../gen/identity/associations/signature_pb.js';
import type { MemberId } from './signature-types.js';

export interface IdentitySigner {
  /** The member this signer signs as: what the signature must verify to. */
  readonly identifier: MemberId;
  /** Signs `text` (from `createSignatureText`) and returns the protobuf Signature to put in the action. */
  sign(text: string): Promise<Signature>;
}
