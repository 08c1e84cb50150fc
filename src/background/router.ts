/**
 * Background side of a typed channel. Runs in the service worker (and in Node tests).
 *
 * `createRouter` takes a channel definition and a handler map (a missing handler is a compile
 * error) and returns `handle(message, ctx)`: `undefined` when the message is not for this channel,
 * otherwise a promise of the answer. Input is untrusted: the envelope and the params are validated
 * before any handler runs, and every failure becomes a serialized XmtpError, never a throw.
 */
import type {
  ChannelDefinition,
  HandlerMap,
  MethodMap,
  MethodName,
  ResponseMessage,
} from '../messaging/channel.js';
import { ErrorCodes, XmtpError } from '../protocol/errors.js';

export interface Router<Ctx> {
  handle(message: unknown, ctx: Ctx): Promise<ResponseMessage> | undefined;
}

export function createRouter<M extends MethodMap, Ctx>(
  channel: ChannelDefinition<M>,
  handlers: HandlerMap<M, Ctx>,
): Router<Ctx> {
  return {
    handle(message, ctx) {
      if (!isForChannel(message, channel.name)) return undefined;
      return dispatch(channel, handlers, message, ctx);
    },
  };
}

async function dispatch<M extends MethodMap, Ctx>(
  channel: ChannelDefinition<M>,
  handlers: HandlerMap<M, Ctx>,
  message: { method?: unknown; params?: unknown },
  ctx: Ctx,
): Promise<ResponseMessage> {
  try {
    const { method } = message;
    if (typeof method !== 'string' || !Object.hasOwn(handlers, method)) {
      throw new XmtpError(ErrorCodes.unknownMethod, `Unknown method: ${String(method)}`);
    }
    const name = method as MethodName<M>;
    const params = channel.validators[name](message.params);
    const result: unknown = await handlers[name](params, ctx);
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: XmtpError.from(error).toJSON() };
  }
}

function isForChannel(message: unknown, name: string): message is { method?: unknown; params?: unknown } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { channel?: unknown }).channel === name
  );
}
