/**
 * Typed request/response channels between extension contexts (popup ↔ background, later
 * content ↔ background). Pure types and helpers; runs in every context.
 *
 * A channel is a map of dotted method names to `{ params, result }`. Requests travel as
 * `{ channel, id, method, params }`, answers as `{ ok: true, result }` or `{ ok: false, error }`
 * where `error` is a serialized XmtpError. Every method has a params validator and a handler;
 * both maps are checked with `satisfies`, so a missing one is a compile error.
 */
import type { SerializedError } from '../protocol/errors.js';

export interface MethodSpec<P = unknown, R = unknown> {
  readonly params: P;
  readonly result: R;
}

export type MethodMap = { readonly [method: string]: MethodSpec };

export type MethodName<M extends MethodMap> = keyof M & string;
export type ParamsOf<M extends MethodMap, K extends MethodName<M>> = M[K]['params'];
export type ResultOf<M extends MethodMap, K extends MethodName<M>> = M[K]['result'];

/** One request on the wire; a discriminated union over the method name. */
export type RequestMessage<M extends MethodMap> = {
  [K in MethodName<M>]: {
    readonly channel: string;
    readonly id: string;
    readonly method: K;
    readonly params: ParamsOf<M, K>;
  };
}[MethodName<M>];

export type ResponseMessage<R = unknown> =
  | { readonly ok: true; readonly result: R }
  | { readonly ok: false; readonly error: SerializedError };

/** Turns untrusted input into a method's params, or throws an XmtpError `invalid_request`. */
export type ParamsValidator<P> = (input: unknown) => P;

export type ValidatorMap<M extends MethodMap> = {
  readonly [K in MethodName<M>]: ParamsValidator<ParamsOf<M, K>>;
};

export type HandlerMap<M extends MethodMap, Ctx> = {
  readonly [K in MethodName<M>]: (
    params: ParamsOf<M, K>,
    ctx: Ctx,
  ) => Promise<ResultOf<M, K>> | ResultOf<M, K>;
};

export interface ChannelDefinition<M extends MethodMap> {
  readonly name: string;
  readonly validators: ValidatorMap<M>;
}

let counter = 0;
/** Request ids: a counter plus randomness (works outside secure contexts too). */
export function nextRequestId(): string {
  counter += 1;
  return `${counter.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
