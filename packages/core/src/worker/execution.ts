import type { Actor } from "../actor.js";
import type { Broker } from "../broker.js";
import type { ExecutionContext } from "../context.js";
import { runInContext } from "../context.js";
import { describeError, isInstance } from "../error-text.js";
import { Canceled, RateLimitExceeded, Retry, SkipMessage } from "../errors.js";
import type { IsolatedCall } from "../isolation/pool.js";
import type { Logger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import { isThrown, resultPassedOn } from "../options.js";
import { clip, renderBounded } from "../render.js";
import type { ConsumerLoop } from "./consumer-loop.js";

/** What an execution needs from its worker. */
export interface ExecutionHost {
  readonly broker: Broker;
  readonly log: Logger;
  readonly debug: boolean;
  /** The logger of an actor (`taskq.actors.<name>`), for its Received/Completed lines. */
  actorLog(actorName: string): Logger;
  /** Ack, nack or requeue the message; called once its outcome is decided. */
  settle(execution: Execution): void;
  /** The execution no longer holds a slot. */
  released(execution: Execution): void;
  /** The actor returned a value (not null) that no pipeline, callback or Results keeps. */
  resultDiscarded(proxy: MessageProxy): void;
  /** Start an isolated actor's call in its pool (actors with the `isolation` option). */
  isolate?(execution: Execution): IsolatedCall;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === "object" || typeof v === "function") &&
    typeof (v as { then?: unknown }).then === "function"
  );
}

/**
 * One message's run through the middleware and its actor. The outcome is decided once,
 * either when the function settles or when it is interrupted (time limit, shutdown); the
 * worker slot is held until both the function has settled and the message is settled.
 */
export class Execution implements ExecutionContext {
  readonly proxy: MessageProxy;
  readonly loop: ConsumerLoop;
  readonly actor: Actor;
  private readonly host: ExecutionHost;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private aborted = false;
  /** The outcome is decided (after hooks are running or done). */
  private decided = false;
  private fnSettled = false;
  private postDone = false;
  private released = false;
  private startedAt = 0;
  /** The pool call of an isolated actor: terminated when the message is interrupted. */
  private call: IsolatedCall | undefined;

  constructor(host: ExecutionHost, proxy: MessageProxy, loop: ConsumerLoop, actor: Actor) {
    this.host = host;
    this.proxy = proxy;
    this.loop = loop;
    this.actor = actor;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** True while the outcome is undecided: the actor is running (or about to). */
  get running(): boolean {
    return !this.decided;
  }

  start(): void {
    try {
      runInContext(this, () => this.run());
    } catch (err) {
      // Nothing may escape into the worker's dispatch loop and stop it.
      this.internalError(err);
    }
  }

  interrupt(reason: unknown): boolean {
    if (this.decided) return false;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
    // Called from a timer or a shutdown: the after hooks still see this message as current.
    runInContext(this, () => this.complete(undefined, reason, true));
    // An isolated call is terminated at once (its thread or process is replaced).
    this.call?.terminate(reason);
    return true;
  }

  // The path below stays synchronous unless a hook or the actor is async: no promise is
  // made per message that nobody needs.
  private run(): void {
    let before: void | Promise<void>;
    try {
      before = this.host.broker.emitBefore("beforeProcessMessage", this.proxy);
    } catch (err) {
      this.beforeFailed(err);
      return;
    }
    if (before) {
      before
        .then(
          () => this.invoke(),
          (err: unknown) => this.beforeFailed(err),
        )
        .catch((err: unknown) => this.internalError(err));
    } else {
      this.invoke();
    }
  }

  private beforeFailed(err: unknown): void {
    this.fnSettled = true;
    if (this.decided) this.release();
    else if (isInstance(err, SkipMessage)) this.skip(err as SkipMessage);
    // A MiddlewareError from a before hook fails the attempt like an actor error.
    else this.complete(undefined, err, true);
  }

  private invoke(): void {
    const proxy = this.proxy;
    if (this.decided) {
      // Interrupted while the before hooks ran: the function never starts.
      this.fnSettled = true;
      this.release();
      return;
    }
    if (proxy.failed) {
      this.fnSettled = true;
      this.complete(undefined, undefined, false);
      return;
    }
    if (this.host.debug) {
      this.startedAt = performance.now();
      this.host
        .actorLog(proxy.actorName)
        .debug(`Received args=${renderBounded(proxy.args)} kwargs=${renderBounded(proxy.kwargs)}.`);
    }
    const broker = this.host.broker;
    if (broker.hasHook("aroundProcessMessage")) {
      // Followed from out here, not inside the wraps: the after hooks, and the next message
      // this slot starts, do not inherit the context a wrap set up for this call.
      broker
        .emitAround(proxy, () => this.callWrapped())
        .then(
          (value) => this.fnDone(value, undefined, false),
          (err: unknown) => this.fnDone(undefined, err, true),
        )
        .catch((err: unknown) => this.internalError(err));
      return;
    }
    let r: unknown;
    let thenable: boolean;
    try {
      r = this.callActor();
      // Inside the try: reading `then` off a hostile return value (a Proxy) may throw.
      thenable = isThenable(r);
    } catch (err) {
      this.fnSettled = true;
      this.complete(undefined, err, true);
      return;
    }
    if (thenable) {
      Promise.resolve(r)
        .then(
          (value) => this.fnDone(value, undefined, false),
          (err: unknown) => this.fnDone(undefined, err, true),
        )
        .catch((err: unknown) => this.internalError(err));
    } else {
      this.fnSettled = true;
      this.complete(r, undefined, false);
    }
  }

  /** The innermost call of the wraps: the actor's promise. */
  private callWrapped(): Promise<unknown> {
    if (this.decided) {
      // Interrupted while an async wrap got ready: the function never starts.
      this.fnSettled = true;
      this.release();
      return Promise.resolve(undefined);
    }
    try {
      return Promise.resolve(this.callActor());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Call the actor here, or hand the call to the isolation pool for an isolated actor. */
  private callActor(): unknown {
    if (this.actor.options.isolation !== undefined && this.host.isolate !== undefined) {
      this.call = this.host.isolate(this);
      return this.call.promise;
    }
    const fn = this.actor.fn as (...args: unknown[]) => unknown;
    return fn(...this.proxy.message.callArguments());
  }

  private fnDone(value: unknown, error: unknown, threw: boolean): void {
    if (this.fnSettled) return; // the function never started (see callWrapped)
    this.fnSettled = true;
    if (this.decided) {
      // An isolated call is terminated with its member: there is nothing left to warn about.
      if (this.aborted && this.call === undefined) {
        this.host.log.warn(
          `${clip(this.proxy.actorName)} returned after its message ${clip(this.proxy.messageId)} was interrupted; its slot is free again.`,
        );
      }
      this.release();
      return;
    }
    this.complete(value, error, threw);
  }

  private complete(result: unknown, error: unknown, threw: boolean): void {
    this.decided = true;
    const { broker, log } = this.host;
    const proxy = this.proxy;
    if (threw) {
      proxy.stuffException(error);
      if (isInstance(error, Retry) || isInstance(error, RateLimitExceeded)) {
        log.debug(
          `${clip(proxy.actorName)} asked for message ${clip(proxy.messageId)} to be retried: ${describeError(error).message}`,
        );
      } else if (this.aborted) {
        // TimeLimit or ShutdownNotifications said why when they interrupted it.
      } else if (isThrown(this.actor, error)) {
        log.info(
          `Failed to process message ${proxy} with expected exception ${describeError(error).type}.`,
        );
      } else {
        log.error({ err: error }, `Failed to process message ${proxy} with unhandled exception.`);
      }
    } else {
      // Returning nothing is a result: Dramatiq stores and passes None, taskq null.
      if (result === undefined) result = null;
      else if (result !== null && !resultPassedOn(proxy.options, this.actor)) {
        this.host.resultDiscarded(proxy);
      }
      if (this.host.debug && this.startedAt > 0) {
        this.host
          .actorLog(proxy.actorName)
          .debug(`Completed after ${(performance.now() - this.startedAt).toFixed(2)} ms.`);
      }
    }
    const after = broker.emitAfter(
      "afterProcessMessage",
      proxy,
      threw ? { exception: error } : { result },
    );
    this.finishAfter(after);
  }

  private skip(error: SkipMessage): void {
    this.decided = true;
    // Recorded as the message's exception: a dead letter, a stored result and a failFast join
    // all say it was skipped, and why.
    this.proxy.stuffException(error);
    // A canceled message is logged by the Cancel middleware, at info: it was asked for.
    if (!isInstance(error.cause, Canceled))
      this.host.log.warn(`Message ${this.proxy} was skipped.`);
    this.finishAfter(this.host.broker.emitAfter("afterSkipMessage", this.proxy));
  }

  /** Settle once the after hooks are done (they never reject: emitAfter logs their errors). */
  private finishAfter(after: void | Promise<void>): void {
    if (after) after.then(() => this.finish()).catch((err: unknown) => this.internalError(err));
    else this.finish();
  }

  /**
   * A bug in taskq's own bookkeeping: reported, never left as an unhandled rejection that
   * would end the process. The message is released so the worker goes on.
   */
  private internalError(err: unknown): void {
    this.host.log.error({ err }, `Internal error while processing message ${this.proxy}.`);
    this.fnSettled = true;
    try {
      this.finish();
    } catch {
      // settle reports its own failures; the slot is freed below all the same.
    }
    this.release();
  }

  private finish(): void {
    if (this.postDone) return;
    this.postDone = true;
    this.host.settle(this);
    this.release();
  }

  private release(): void {
    if (this.released || !this.fnSettled || !this.postDone) return;
    this.released = true;
    this.host.released(this);
  }
}
