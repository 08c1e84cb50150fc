/**
 * Verifies every signature of an identity update over its one signature text, as libxmtp's
 * `UnverifiedIdentityUpdate::to_verified`. Pure except for the injected verifiers; runs everywhere.
 *
 * Guarantees: the text is built once (`createSignatureText`); each distinct signature is verified once
 * even when several actions carry it (libxmtp registration reuses the wallet's); the result lists the
 * verified signatures per action, in action order; the first failing signature in action order is the
 * error reported. Whether the signers may do what the actions ask is the reducer's job.
 */
import { toBinary } from '@bufbuild/protobuf';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { IdentityUpdate } from '../../gen/identity/associations/association_pb.js';
import { SignatureSchema, type Signature } from '../../gen/identity/associations/signature_pb.js';
import { createSignatureText } from './create-signature-text.js';
import { IdentityErrorCodes, identityError } from './identity-errors.js';
import type { VerifiedSignature } from './signature-types.js';
import { verifySignature, type VerifySignatureDependencies } from './verify-signature.js';

/** The verified signatures of one action, named as in the protobuf action. */
export type VerifiedAction =
  | { readonly case: 'createInbox'; readonly initialIdentifierSignature: VerifiedSignature }
  | { readonly case: 'add'; readonly existingMemberSignature: VerifiedSignature; readonly newMemberSignature: VerifiedSignature }
  | { readonly case: 'revoke'; readonly recoveryIdentifierSignature: VerifiedSignature }
  | { readonly case: 'changeRecoveryAddress'; readonly existingRecoveryIdentifierSignature: VerifiedSignature };

export type VerifyUpdateSignaturesDependencies = VerifySignatureDependencies;
export type VerifyUpdateSignaturesReturnType = Promise<VerifiedAction[]>;

export async function verifyUpdateSignatures(
  update: IdentityUpdate,
  deps: VerifyUpdateSignaturesDependencies = {},
): VerifyUpdateSignaturesReturnType {
  const text = createSignatureText(update);

  // First, synchronously: every action's signatures, in action order (structural errors before any I/O).
  const slots = update.actions.map((action, index) => {
    const at = `action ${index}`;
    const need = (signature: Signature | undefined, what: string): Signature => {
      if (!signature?.signature.case) throw identityError(IdentityErrorCodes.malformedUpdate, `Malformed identity update: ${at} is missing its ${what}`);
      return signature;
    };
    const kind = action.kind;
    switch (kind.case) {
      case 'createInbox':
        return { case: kind.case, signatures: [need(kind.value.initialIdentifierSignature, 'initial identifier signature')] };
      case 'add':
        return {
          case: kind.case,
          signatures: [need(kind.value.existingMemberSignature, 'existing member signature'), need(kind.value.newMemberSignature, 'new member signature')],
        };
      case 'revoke':
        return { case: kind.case, signatures: [need(kind.value.recoveryIdentifierSignature, 'recovery identifier signature')] };
      case 'changeRecoveryAddress':
        return { case: kind.case, signatures: [need(kind.value.existingRecoveryIdentifierSignature, 'recovery identifier signature')] };
      default:
        throw identityError(IdentityErrorCodes.malformedUpdate, `Malformed identity update: ${at} has no action`);
    }
  });

  // Then verify each distinct signature once, all at once; report the first failure in action order.
  const keys = slots.map((slot) => slot.signatures.map((signature) => bytesToHex(toBinary(SignatureSchema, signature))));
  const distinct = new Map<string, Signature>();
  slots.forEach((slot, i) => slot.signatures.forEach((signature, j) => distinct.set(keys[i]![j]!, signature)));
  const order = [...distinct.keys()];
  const settled = await Promise.allSettled(order.map((key) => verifySignature(distinct.get(key), text, deps)));
  const verified = new Map<string, VerifiedSignature>();
  for (const [i, result] of settled.entries()) {
    if (result.status === 'rejected') throw result.reason;
    verified.set(order[i]!, result.value);
  }

  return slots.map((slot, i): VerifiedAction => {
    const [first, second] = keys[i]!.map((key) => verified.get(key)!);
    switch (slot.case) {
      case 'createInbox':
        return { case: 'createInbox', initialIdentifierSignature: first! };
      case 'add':
        return { case: 'add', existingMemberSignature: first!, newMemberSignature: second! };
      case 'revoke':
        return { case: 'revoke', recoveryIdentifierSignature: first! };
      case 'changeRecoveryAddress':
        return { case: 'changeRecoveryAddress', existingRecoveryIdentifierSignature: first! };
    }
  });
}
