/**
 * Who sent a PrivateMessage: its sender leaf index, read from the encrypted sender data (RFC 9420
 * §6.3.2) with the sender-data secret of the message's epoch, and the inbox id in that leaf's
 * credential. ts-mls's `processMessage` returns an application message without its sender, so this
 * recomputes it from the public state (key schedule / historical receiver data). Pure; runs
 * everywhere.
 */
import { getCredentialFromLeafIndex, nodeTypes, type ClientState, type CiphersuiteImpl, type LeafIndex, type PrivateMessage, type RatchetTree } from 'ts-mls';
import { concatBytes, encodeVector } from '../mls/tls.js';
import { inboxIdOfCredential } from './xmtp-authentication-service.js';

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

function expandWithLabel(cs: CiphersuiteImpl, secret: Uint8Array, label: string, context: Uint8Array, length: number): Promise<Uint8Array> {
  const info = concatBytes(u16(length), encodeVector(new TextEncoder().encode(`MLS 1.0 ${label}`)), encodeVector(context));
  return cs.kdf.expand(secret, info, length);
}

export interface MessageSender {
  readonly leafIndex: number;
  /** The inbox id in the sender leaf's credential (undefined if it is not an XMTP credential). */
  readonly inboxId: string | undefined;
  readonly signatureKey: Uint8Array;
}

/** The sender of `message`, or undefined when the epoch's secrets are gone or the sender data does not open. */
export async function readMessageSender(cs: CiphersuiteImpl, state: ClientState, message: PrivateMessage): Promise<MessageSender | undefined> {
  let secret: Uint8Array;
  let tree: RatchetTree;
  if (message.epoch === state.groupContext.epoch) {
    secret = state.keySchedule.senderDataSecret;
    tree = state.ratchetTree;
  } else {
    const past = state.historicalReceiverData.get(message.epoch);
    if (!past) return undefined;
    secret = past.senderDataSecret;
    tree = past.ratchetTree;
  }
  const sample = message.ciphertext.length < cs.kdf.size ? message.ciphertext : message.ciphertext.subarray(0, cs.kdf.size);
  const key = await expandWithLabel(cs, secret, 'key', sample, cs.hpke.keyLength);
  const nonce = await expandWithLabel(cs, secret, 'nonce', sample, cs.hpke.nonceLength);
  const aad = concatBytes(encodeVector(message.groupId), u64(message.epoch), Uint8Array.of(message.contentType));
  let plain: Uint8Array;
  try {
    plain = await cs.hpke.decryptAead(key, nonce, aad, message.encryptedSenderData);
  } catch {
    return undefined;
  }
  if (plain.length < 4) return undefined;
  const leafIndex = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(0);
  const node = tree[leafIndex * 2];
  if (!node || node.nodeType !== nodeTypes.leaf) return undefined;
  const credential = getCredentialFromLeafIndex(tree, leafIndex as LeafIndex);
  return { leafIndex, inboxId: inboxIdOfCredential(credential), signatureKey: node.leaf.signaturePublicKey };
}
