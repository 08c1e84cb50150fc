/**
 * Turns failures inside the node's services into gRPC statuses with clear messages. Node only.
 * Validation failures of protocol code (XmtpError) become INVALID_ARGUMENT; ConnectErrors pass
 * through; anything else is INTERNAL (and logged), never a crash.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { XmtpError } from '../../src/protocol/errors.js';

export function invalidArgument(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof XmtpError) {
    // The stable code travels in the message, so clients (and people) can tell refusals apart.
    return new ConnectError(`${error.message} [${error.code}]`, error.retryable ? Code.Unavailable : Code.InvalidArgument);
  }
  console.error('node: internal error', error);
  return new ConnectError('internal error', Code.Internal);
}

/** Wraps every method of a service implementation so that errors are mapped consistently. */
export function withErrorMapping<T extends object>(impl: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(impl)) {
    if (typeof fn !== 'function') continue;
    if (fn.constructor.name === 'AsyncGeneratorFunction') {
      out[name] = async function* (...args: unknown[]) {
        try {
          yield* (fn as (...a: unknown[]) => AsyncGenerator<unknown>)(...args);
        } catch (e) {
          throw toConnectError(e);
        }
      };
    } else {
      out[name] = async (...args: unknown[]) => {
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (e) {
          throw toConnectError(e);
        }
      };
    }
  }
  return out as T;
}
