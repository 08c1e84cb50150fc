/**
 * Builds a signed identity update: the actions, their one signature text, and a signature from each
 * distinct signer (made once, so a wallet signing two actions contributes the same bytes to both,
 * as libxmtp does when it registers). Pure; runs everywhere; the signers do the signing.
 */
import { create } from '@bufbuild/protobuf';
import {
  IdentityActionSchema,
  IdentityUpdateSchema,
  type IdentityAction,
  type IdentityUpdate,
} from '../../gen/identity/associations/association_pb.js';
import { SignatureSchema, type Signature } from '../../gen/identity/associations/signature_pb.js';
import { createSignatureText } from './create-signature-text.js';
import type { IdentitySigner } from './identity-signer.js';
import { DEFAULT_INBOX_NONCE } from './inbox-id.js';
import { identifierToProto, memberIdToProto, type PublicIdentifier } from './member-id.js';
import type { MemberId } from './signature-types.js';

export type ActionSpec =
  | { readonly kind: 'createInbox'; readonly signer: IdentitySigner; readonly nonce?: bigint }
  | { readonly kind: 'add'; readonly existing: IdentitySigner; readonly newMember: IdentitySigner }
  | { readonly kind: 'revoke'; readonly recovery: IdentitySigner; readonly member: MemberId }
  | { readonly kind: 'changeRecoveryAddress'; readonly recovery: IdentitySigner; readonly newRecovery: PublicIdentifier };

export interface BuildIdentityUpdateParameters {
  readonly inboxId: string;
  readonly actions: readonly ActionSpec[];
  /** Nanoseconds since the epoch; it is part of the signed text. */
  readonly clientTimestampNs: bigint;
}

const placeholder = (): Signature => create(SignatureSchema, {});

export async function buildIdentityUpdate({ inboxId, actions, clientTimestampNs }: BuildIdentityUpdateParameters): Promise<IdentityUpdate> {
  const slots: [IdentitySigner, (signature: Signature) => void][] = [];
  const protoActions: IdentityAction[] = actions.map((spec) => {
    switch (spec.kind) {
      case 'createInbox': {
        const id = spec.signer.identifier;
        if (id.kind === 'installation') throw new Error('an installation cannot create an inbox');
        const { identifier, kind } = identifierToProto(id);
        const value = { initialIdentifier: identifier, initialIdentifierKind: kind, nonce: spec.nonce ?? DEFAULT_INBOX_NONCE, initialIdentifierSignature: placeholder() };
        const action = create(IdentityActionSchema, { kind: { case: 'createInbox', value } });
        slots.push([spec.signer, (s) => { if (action.kind.case === 'createInbox') action.kind.value.initialIdentifierSignature = s; }]);
        return action;
      }
      case 'add': {
        const action = create(IdentityActionSchema, {
          kind: { case: 'add', value: { newMemberIdentifier: memberIdToProto(spec.newMember.identifier), existingMemberSignature: placeholder(), newMemberSignature: placeholder() } },
        });
        slots.push([spec.newMember, (s) => { if (action.kind.case === 'add') action.kind.value.newMemberSignature = s; }]);
        slots.push([spec.existing, (s) => { if (action.kind.case === 'add') action.kind.value.existingMemberSignature = s; }]);
        return action;
      }
      case 'revoke': {
        const action = create(IdentityActionSchema, {
          kind: { case: 'revoke', value: { memberToRevoke: memberIdToProto(spec.member), recoveryIdentifierSignature: placeholder() } },
        });
        slots.push([spec.recovery, (s) => { if (action.kind.case === 'revoke') action.kind.value.recoveryIdentifierSignature = s; }]);
        return action;
      }
      case 'changeRecoveryAddress': {
        const { identifier, kind } = identifierToProto(spec.newRecovery);
        const action = create(IdentityActionSchema, {
          kind: {
            case: 'changeRecoveryAddress',
            value: { newRecoveryIdentifier: identifier, newRecoveryIdentifierKind: kind, existingRecoveryIdentifierSignature: placeholder() },
          },
        });
        slots.push([spec.recovery, (s) => { if (action.kind.case === 'changeRecoveryAddress') action.kind.value.existingRecoveryIdentifierSignature = s; }]);
        return action;
      }
    }
  });
  const update = create(IdentityUpdateSchema, { inboxId, clientTimestampNs, actions: protoActions });
  const text = createSignatureText(update);
  const signed = new Map<IdentitySigner, Signature>();
  for (const [signer, put] of slots) {
    let signature = signed.get(signer);
    if (!signature) {
      signature = await signer.sign(text);
      signed.set(signer, signature);
    }
    put(signature);
  }
  return update;
}

