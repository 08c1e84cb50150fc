/**
 * Reads the cleartext framing of an MLS message as the XMTP node needs it: which group it belongs
 * to, its epoch, and whether it is a commit. Pure; runs everywhere (the node, the client).
 *
 * The whole TLS structure is decoded with ts-mls and must consume every byte; only PublicMessage
 * and PrivateMessage are group messages. `isCommit` follows xmtp-node-go: true for commits and
 * proposals (libxmtp sends all handshake messages as PrivateMessages).
 */
import { mlsMessageDecoder, protocolVersions, wireformats } from 'ts-mls';
import { XmtpError } from '../errors.js';

export const MlsErrorCodes = {
  invalidMessage: 'mls.invalid_message',
  invalidKeyPackage: 'mls.invalid_key_package',
} as const;

export interface GroupMessageFraming {
  readonly wireFormat: 'public' | 'private';
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: 'application' | 'proposal' | 'commit';
  readonly isCommit: boolean;
}

const CONTENT_TYPES = { 1: 'application', 2: 'proposal', 3: 'commit' } as const;

export function readGroupMessageFraming(data: Uint8Array): GroupMessageFraming {
  const invalid = (why: string) => new XmtpError(MlsErrorCodes.invalidMessage, `Not an MLS group message: ${why}`);
  if (data.length === 0) throw invalid('empty');
  let decoded: ReturnType<typeof mlsMessageDecoder>;
  try {
    decoded = mlsMessageDecoder(data, 0);
  } catch {
    decoded = undefined;
  }
  if (!decoded) throw invalid('malformed TLS structure');
  const [message, end] = decoded;
  if (end !== data.length) throw invalid(`${data.length - end} trailing bytes`);
  if (message.version !== protocolVersions.mls10) throw invalid(`unsupported protocol version ${message.version}`);

  if (message.wireformat === wireformats.mls_private_message) {
    const m = message.privateMessage;
    const contentType = CONTENT_TYPES[m.contentType];
    if (!contentType) throw invalid(`unknown content type ${m.contentType}`);
    return { wireFormat: 'private', groupId: m.groupId, epoch: m.epoch, contentType, isCommit: contentType !== 'application' };
  }
  if (message.wireformat === wireformats.mls_public_message) {
    const c = message.publicMessage.content;
    const contentType = CONTENT_TYPES[c.contentType];
    if (!contentType) throw invalid(`unknown content type ${c.contentType}`);
    return { wireFormat: 'public', groupId: c.groupId, epoch: c.epoch, contentType, isCommit: contentType !== 'application' };
  }
  throw invalid(`wire format ${message.wireformat} is not a group message`);
}
