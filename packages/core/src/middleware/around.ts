import type { Broker } from "../broker.js";
import { MiddlewareError } from "../errors.js";
import type { MessageProxy } from "../message-proxy.js";
import type { Middleware } from "./middleware.js";

type Call = () => Promise<unknown>;
type AroundFn = (broker: Broker, message: MessageProxy, call: Call) => unknown;

/** Report a wrap's failure; the actor's own outcome is never affected. */
export type AroundFailed = (middleware: Middleware, error: unknown) => void;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === "object" || typeof v === "function") &&
    typeof (v as { then?: unknown }).then === "function"
  );
}

/** A promise following `r`; never throws (a hostile thenable becomes a rejection). */
function follow(r: PromiseLike<unknown>): Promise<unknown> {
  try {
    return Promise.resolve(r);
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Runs `call` inside the `aroundProcessMessage` hook of every middleware in `list`, the first
 * outermost. The result settles as `call()`'s promise does, whatever the wraps return: a
 * wrap only chooses the context the call runs in.
 */
export function callAround(
  broker: Broker,
  list: readonly Middleware[],
  message: MessageProxy,
  call: Call,
  failed: AroundFailed,
): Promise<unknown> {
  let inner = call;
  for (let i = list.length - 1; i >= 0; i--) inner = wrap(broker, list[i]!, message, inner, failed);
  return inner();
}

function wrap(
  broker: Broker,
  m: Middleware,
  message: MessageProxy,
  inner: Call,
  failed: AroundFailed,
): Call {
  return () => {
    let result: Promise<unknown> | undefined;
    // Whatever the actor rejected with: the wrap passing it on is no failure of the wrap.
    let actorError: { error: unknown } | undefined;
    let onCalled: ((p: Promise<unknown>) => void) | undefined;
    const next: Call = () => {
      if (result === undefined) {
        result = inner();
        result.then(undefined, (error: unknown) => {
          actorError = { error };
        });
        onCalled?.(result);
      }
      return result;
    };
    const wrapFailed = (error: unknown) => {
      if (actorError === undefined || actorError.error !== error) failed(m, error);
    };
    let r: unknown;
    let thenable: boolean;
    try {
      r = (m.aroundProcessMessage as AroundFn).call(m, broker, message, next);
      // Inside the try: reading `then` off a hostile value (a Proxy) may throw.
      thenable = isThenable(r);
    } catch (err) {
      failed(m, err);
      return next();
    }
    if (!thenable) {
      if (result !== undefined) return result;
      failed(m, new MiddlewareError("aroundProcessMessage returned without calling call()"));
      return next();
    }
    if (result !== undefined) {
      if (r !== result) follow(r as PromiseLike<unknown>).then(undefined, wrapFailed);
      return result;
    }
    // An async wrap that calls `call` later: follow the actor from the moment it starts, or
    // run it without the wrap once the wrap settles without having called it.
    return new Promise((resolve) => {
      onCalled = resolve;
      follow(r as PromiseLike<unknown>).then(
        () => {
          if (result !== undefined) return;
          failed(m, new MiddlewareError("aroundProcessMessage settled without calling call()"));
          next();
        },
        (err: unknown) => {
          if (result === undefined) next();
          wrapFailed(err);
        },
      );
    });
  };
}
