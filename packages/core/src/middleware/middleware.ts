import type { Actor } from "../actor.js";
import type { Broker } from "../broker.js";
import type { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import type { ResultReader } from "../results/types.js";
import type { Worker } from "../worker/worker.js";

/** What a hook may return: hooks may be async, and a sync one costs no await. */
export type Awaitable = void | Promise<void>;

/** How the actor ended, for `afterProcessMessage`: `result` on success, `exception` on failure. */
export interface AfterProcessOutcome {
  /** What the actor returned, when it succeeded. */
  result?: unknown;
  /** What the actor threw, when it failed. */
  exception?: unknown;
}

/**
 * The hooks a middleware may implement; all are optional. `before*` hooks run in list
 * order, `after*` hooks in reverse. A hook that throws is logged and ignored, except a
 * MiddlewareError (such as SkipMessage) thrown from a `before*` hook, which propagates.
 * Declaration hooks run synchronously (actors are declared at import time).
 */
export interface MiddlewareHooks {
  /** Before a processed message is acked. */
  beforeAck?(broker: Broker, message: MessageProxy): Awaitable;
  /** After a processed message was acked. */
  afterAck?(broker: Broker, message: MessageProxy): Awaitable;
  /** Before a failed message is dead-lettered. */
  beforeNack?(broker: Broker, message: MessageProxy): Awaitable;
  /** After a failed message was dead-lettered. */
  afterNack?(broker: Broker, message: MessageProxy): Awaitable;
  /** Before an actor is declared; throw to refuse it. */
  beforeDeclareActor?(broker: Broker, actor: Actor): void;
  /** After an actor was declared. */
  afterDeclareActor?(broker: Broker, actor: Actor): void;
  /** Before a queue is declared. */
  beforeDeclareQueue?(broker: Broker, queueName: string): void;
  /** After a queue was declared. */
  afterDeclareQueue?(broker: Broker, queueName: string): void;
  /** After a queue's delay queue was declared. */
  afterDeclareDelayQueue?(broker: Broker, queueName: string): void;
  /** Before a message is enqueued; `delay` in ms when delayed. */
  beforeEnqueue?(broker: Broker, message: Message, delay: number | undefined): Awaitable;
  /** After the broker has a message; `delay` in ms when delayed. */
  afterEnqueue?(broker: Broker, message: Message, delay: number | undefined): Awaitable;
  /** In a worker, before a delayed message is held until due. */
  beforeDelayMessage?(broker: Broker, message: MessageProxy): Awaitable;
  /**
   * A worker took in a batch of messages from a queue (not a delay queue), before any of them
   * starts: lets a middleware look them up in one round trip (Cancel checks its marks). The
   * worker does not wait for it.
   */
  afterReceiveMessages?(broker: Broker, messages: readonly MessageProxy[]): Awaitable;
  /** In a worker, before the actor runs; throw SkipMessage to skip it. */
  beforeProcessMessage?(broker: Broker, message: MessageProxy): Awaitable;
  /** In a worker, after the actor has returned or thrown (or was interrupted). */
  afterProcessMessage?(
    broker: Broker,
    message: MessageProxy,
    outcome: AfterProcessOutcome,
  ): Awaitable;
  /** In a worker, after a message was skipped (SkipMessage from a `before` hook). */
  afterSkipMessage?(broker: Broker, message: MessageProxy): Awaitable;
  /**
   * Wraps the actor call: `call()` runs the actor (inside any later middleware's wrap) and
   * returns its promise; return that promise, run inside whatever this middleware needs (an
   * async context, a span). Wraps nest in list order, the first outermost, and run after the
   * `before*` hooks. A wrap cannot change the outcome: the message settles as the actor did.
   * A wrap that throws, or settles without calling `call`, is logged and the actor runs
   * without it (once, however often `call` is called).
   */
  aroundProcessMessage?(
    broker: Broker,
    message: MessageProxy,
    call: () => Promise<unknown>,
  ): Promise<unknown>;
  /**
   * Dramatiq's hook for a worker process having booted; taskq's worker and CLI do not emit it
   * today.
   */
  afterProcessBoot?(broker: Broker): Awaitable;
  /** When a worker starts, before it consumes. */
  beforeWorkerBoot?(broker: Broker, worker: Worker): Awaitable;
  /** When a worker has started consuming. */
  afterWorkerBoot?(broker: Broker, worker: Worker): Awaitable;
  /** When a worker begins to stop. */
  beforeWorkerShutdown?(broker: Broker, worker: Worker): Awaitable;
  /** When a worker has stopped. */
  afterWorkerShutdown?(broker: Broker, worker: Worker): Awaitable;
  /**
   * `broker.close()` has closed the broker's connections: release what this middleware
   * holds (Results and GroupCallbacks close their backend), so a script can exit.
   */
  afterBrokerClose?(broker: Broker): Awaitable;
}

/** The name of a middleware hook. */
export type HookName = keyof MiddlewareHooks;

/** Every hook name, in declaration order. */
export const HOOK_NAMES: readonly HookName[] = [
  "beforeAck",
  "afterAck",
  "beforeNack",
  "afterNack",
  "beforeDeclareActor",
  "afterDeclareActor",
  "beforeDeclareQueue",
  "afterDeclareQueue",
  "afterDeclareDelayQueue",
  "beforeEnqueue",
  "afterEnqueue",
  "beforeDelayMessage",
  "afterReceiveMessages",
  "beforeProcessMessage",
  "afterProcessMessage",
  "afterSkipMessage",
  "aroundProcessMessage",
  "afterProcessBoot",
  "beforeWorkerBoot",
  "afterWorkerBoot",
  "beforeWorkerShutdown",
  "afterWorkerShutdown",
  "afterBrokerClose",
];

/**
 * Base class for middleware. Subclasses implement any subset of the hooks and list the
 * actor options they read in `actorOptions`, so that declaring an actor with an option no
 * middleware knows is an error rather than a silent no-op.
 */
export abstract class Middleware {
  /** The actor options this middleware reads (camelCase names). Default: none. */
  get actorOptions(): readonly string[] {
    return [];
  }

  /** Set by the Results middleware: what `broker.getResultsBackend()` returns. */
  get resultsBackend(): ResultReader | undefined {
    return undefined;
  }

  /**
   * A module a process supervisor (the taskq CLI) loads once in its main process, for work
   * that spans the worker processes — serving metrics summed over all of them, say
   * (Dramatiq's `forks`). The module exports `startInMainProcess(context)`; see
   * MainProcessContext. Undefined: nothing to run there.
   */
  get mainProcessModule(): MainProcessModule | undefined {
    return undefined;
  }
}

/** What a middleware asks a supervisor to load in its main process. */
export interface MainProcessModule {
  /** URL of the module (import.meta.url-relative, so it resolves to the middleware's own package). */
  url: string;
  /** JSON-able options passed to `startInMainProcess`. */
  options?: unknown;
}

/** What a supervisor gives a main-process module. */
export interface MainProcessContext {
  /** The `options` of the middleware's `mainProcessModule`. */
  options: unknown;
  /** Ask every ready worker process; resolves to their answers (from `answerMainProcess`). */
  ask(topic: string): Promise<unknown[]>;
}

/** A main-process module's handle: closed when the supervisor stops. */
export interface MainProcessHandle {
  /** Release what the module holds (a server, timers). */
  close(): Promise<void>;
}

export interface Middleware extends MiddlewareHooks {
  /** Answer a main-process module's question (see `mainProcessModule`), in a worker process. */
  answerMainProcess?(topic: string): unknown;
}
