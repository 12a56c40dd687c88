import { AsyncLocalStorage } from "node:async_hooks";
import type { Message } from "./message.js";
import type { MessageProxy } from "./message-proxy.js";

/** What the worker keeps about a message while its actor runs. */
export interface ExecutionContext {
  /** The message being processed, with its processing state. */
  readonly proxy: MessageProxy;
  /** The actor's AbortSignal, created on first use. */
  readonly signal: AbortSignal;
  /** Fail the message now with `reason` and abort the signal. False once it has settled. */
  interrupt(reason: unknown): boolean;
}

const storage = new AsyncLocalStorage<ExecutionContext>();
// Kept on the proxy itself: cheaper per message than a WeakMap entry.
const CONTEXT = Symbol("taskq.executionContext");
type WithContext = MessageProxy & { [CONTEXT]?: ExecutionContext };
const NEVER = new AbortController().signal;

/** Run `fn` with `context` as the current execution (worker internals). */
export function runInContext<T>(context: ExecutionContext, fn: () => T): T {
  (context.proxy as WithContext)[CONTEXT] = context;
  return storage.run(context, fn);
}

/** The message whose actor is running here, or undefined outside a worker-run actor. */
export function getCurrentMessage<R = unknown>(): Message<R> | undefined {
  return storage.getStore()?.proxy.message as Message<R> | undefined;
}

/** The delivery of the message whose actor is running here (middleware internals). */
export function currentProxy(): MessageProxy | undefined {
  return storage.getStore()?.proxy;
}

/**
 * The running actor's AbortSignal: it aborts with TimeLimitExceeded at the time limit, or
 * with Shutdown when the worker stops and the actor has `notifyShutdown`. Outside a
 * worker-run actor (a direct call), a signal that never aborts.
 */
export function getAbortSignal(): AbortSignal {
  return storage.getStore()?.signal ?? NEVER;
}

/**
 * Interrupt the execution of a message being processed (used by TimeLimit and
 * ShutdownNotifications). Returns false when the message is not running or has settled.
 */
export function interruptMessage(proxy: MessageProxy, reason: unknown): boolean {
  return (proxy as WithContext)[CONTEXT]?.interrupt(reason) ?? false;
}
