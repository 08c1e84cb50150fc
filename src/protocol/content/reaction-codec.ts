/**
 * `xmtp.org/reaction:2.0`: a reaction to an earlier message, as protobuf `ReactionV2`. Pure; runs
 * everywhere.
 *
 * Wire (libxmtp `reaction.rs` ReactionCodec): content = ReactionV2, no parameters, fallback
 * `Reacted with "👍" to an earlier message` / `Removed "👍" from an earlier message`.
 * Push: libxmtp 1.10 sends reactions with should_push = **false** (the spec's table says yes; 1.10
 * wins, see the fixture's `wire.shouldPush`).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ReactionAction, ReactionSchema, ReactionV2Schema } from '../../gen/mls/message_contents/content_types/reaction_pb.js';
import { assertContentType, type ContentCodec } from './content-codec.js';
import { protobufContent } from './content-fields.js';
import { contentTypeId } from './content-type-id.js';
import { createEncodedContent } from './encoded-content.js';

export { ReactionAction, ReactionSchema };

export const ContentTypeReaction = contentTypeId({ authorityId: 'xmtp.org', typeId: 'reaction', versionMajor: 2, versionMinor: 0 });

export interface Reaction {
  /** The hex message id reacted to. */
  readonly reference: string;
  /** The inbox id of that message's sender ("" when unknown). */
  readonly referenceInboxId: string;
  readonly action: ReactionAction;
  /** The emoji, shortcode or custom value. */
  readonly content: string;
  readonly schema: ReactionSchema;
}

/** libxmtp's reaction fallback text (v1 and v2 share it). */
export function reactionFallback(removed: boolean, content: string): string {
  return removed ? `Removed "${content}" from an earlier message` : `Reacted with "${content}" to an earlier message`;
}

export const reactionCodec: ContentCodec<Reaction> = {
  contentType: ContentTypeReaction,
  encode(reaction) {
    const content = toBinary(
      ReactionV2Schema,
      create(ReactionV2Schema, {
        reference: reaction.reference,
        referenceInboxId: reaction.referenceInboxId,
        action: reaction.action,
        content: reaction.content,
        schema: reaction.schema,
      }),
    );
    return createEncodedContent({ type: ContentTypeReaction, fallback: reactionCodec.fallback(reaction), content });
  },
  decode(encoded) {
    assertContentType(reactionCodec, encoded);
    const r = protobufContent(ReactionV2Schema, encoded.content, 'reaction');
    return { reference: r.reference, referenceInboxId: r.referenceInboxId, action: r.action, content: r.content, schema: r.schema };
  },
  fallback: (reaction) => reactionFallback(reaction.action === ReactionAction.REMOVED, reaction.content),
  shouldPush: () => false,
};
