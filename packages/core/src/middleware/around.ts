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
  const layer = (i: number): Promise<unknown> => {
    if (i === list.length) return call();
    const m = list[i]!;
    let result: Promise<unknown> | undefined;
    let onCalled: ((p: Promise<unknown>) => void) | undefined;
    // Memoized: the actor runs once however often a wrap calls it.
    const next: Call = () => {
      if (result === undefined) {
        result = layer(i + 1);
        onCalled?.(result);
      }
      return result;
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
      if (r !== result) watch(m, r as PromiseLike<unknown>, result, failed);
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
          if (result === undefined) {
            failed(m, err);
            next();
          } else watch(m, Promise.reject(err), result, failed);
        },
      );
    });
  };
  return layer(0);
}

/**
 * Report a wrap's promise that rejects, unless with what the actor rejected with: passing
 * the actor's error on is no failure of the wrap.
 */
function watch(
  m: Middleware,
  r: PromiseLike<unknown>,
  result: Promise<unknown>,
  failed: AroundFailed,
): void {
  follow(r).then(undefined, (err: unknown) =>
    result.then(
      () => failed(m, err),
      (actorError: unknown) => {
        if (actorError !== err) failed(m, err);
      },
    ),
  );
}
