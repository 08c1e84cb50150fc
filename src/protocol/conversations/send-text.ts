/** Sends a text message (`xmtp.org/text:1.0`) to a conversation: `sendContent` with the text codec. Pure; runs everywhere. */
import type { XmtpClient } from '../client.js';
import { textCodec } from '../content/text-codec.js';
import { sendContent, type SendContentReturnType } from './send-content.js';

export interface SendTextParameters {
  readonly groupId: Uint8Array;
  readonly text: string;
}

export type SendTextReturnType = SendContentReturnType;

export function sendText(client: XmtpClient, { groupId, text }: SendTextParameters): Promise<SendTextReturnType> {
  return sendContent(client, { groupId, codec: textCodec, content: text });
}
