/**
 * The caller's side of a typed channel: builds the request, sends it with a transport (in the
 * extension, `browser.runtime.sendMessage`) and turns an error answer back into an XmtpError.
 */
import { ErrorCodes, XmtpError } from '../protocol/errors.js';
import {
  nextRequestId,
  type ChannelDefinition,
  type MethodMap,
  type MethodName,
  type ParamsOf,
  type RequestMessage,
  type ResponseMessage,
  type ResultOf,
} from './channel.js';

export type Transport = (message: unknown) => Promise<unknown>;

export async function sendRequest<M extends MethodMap, K extends MethodName<M>>(
  transport: Transport,
  channel: ChannelDefinition<M>,
  method: K,
  params: ParamsOf<M, K>,
): Promise<ResultOf<M, K>> {
  const request = { channel: channel.name, id: nextRequestId(), method, params } as RequestMessage<M>;
  let answer: unknown;
  try {
    answer = await transport(request);
  } catch (cause) {
    throw new XmtpError(ErrorCodes.unavailable, `The background did not answer ${method}`, {
      retryable: true,
      cause,
    });
  }
  if (!isResponse(answer)) {
    throw new XmtpError(ErrorCodes.internal, `Malformed answer to ${method}`);
  }
  if (!answer.ok) throw XmtpError.fromJSON(answer.error);
  return answer.result as ResultOf<M, K>;
}

function isResponse(value: unknown): value is ResponseMessage {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}
