import type { Actor } from "../actor.js";
import type { Broker } from "../broker.js";
import type { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import type { ResultReader } from "../results/types.js";
import type { Worker } from "../worker/worker.js";

/** What a hook may return: hooks may be async, and a sync one costs no await. */
export type Awaitable = void | Promise<void>;

export interface AfterProcessOutcome {
  result?: unknown;
  exception?: unknown;
}

/**
 * The hooks a middleware may implement; all are optional. `before*` hooks run in list
 * order, `after*` hooks in reverse. A hook that throws is logged and ignored, except a
 * MiddlewareError (such as SkipMessage) thrown from a `before*` hook, which propagates.
 * Declaration hooks run synchronously (actors are declared at import time).
 */
export interface MiddlewareHooks {
  beforeAck?(broker: Broker, message: MessageProxy): Awaitable;
  afterAck?(broker: Broker, message: MessageProxy): Awaitable;
  beforeNack?(broker: Broker, message: MessageProxy): Awaitable;
  afterNack?(broker: Broker, message: MessageProxy): Awaitable;
  beforeDeclareActor?(broker: Broker, actor: Actor): void;
  afterDeclareActor?(broker: Broker, actor: Actor): void;
  beforeDeclareQueue?(broker: Broker, queueName: string): void;
  afterDeclareQueue?(broker: Broker, queueName: string): void;
  afterDeclareDelayQueue?(broker: Broker, queueName: string): void;
  beforeEnqueue?(broker: Broker, message: Message, delay: number | undefined): Awaitable;
  afterEnqueue?(broker: Broker, message: Message, delay: number | undefined): Awaitable;
  beforeDelayMessage?(broker: Broker, message: MessageProxy): Awaitable;
  /**
   * A worker took in a batch of messages from a queue (not a delay queue), before any of them
   * starts: lets a middleware look them up in one round trip (Cancel checks its marks). The
   * worker does not wait for it.
   */
  afterReceiveMessages?(broker: Broker, messages: readonly MessageProxy[]): Awaitable;
  beforeProcessMessage?(broker: Broker, message: MessageProxy): Awaitable;
  afterProcessMessage?(
    broker: Broker,
    message: MessageProxy,
    outcome: AfterProcessOutcome,
  ): Awaitable;
  afterSkipMessage?(broker: Broker, message: MessageProxy): Awaitable;
  afterProcessBoot?(broker: Broker): Awaitable;
  beforeWorkerBoot?(broker: Broker, worker: Worker): Awaitable;
  afterWorkerBoot?(broker: Broker, worker: Worker): Awaitable;
  beforeWorkerShutdown?(broker: Broker, worker: Worker): Awaitable;
  afterWorkerShutdown?(broker: Broker, worker: Worker): Awaitable;
}

export type HookName = keyof MiddlewareHooks;

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
  "afterProcessBoot",
  "beforeWorkerBoot",
  "afterWorkerBoot",
  "beforeWorkerShutdown",
  "afterWorkerShutdown",
];

/**
 * Base class for middleware. Subclasses implement any subset of the hooks and list the
 * actor options they read in `actorOptions`, so that declaring an actor with an option no
 * middleware knows is an error rather than a silent no-op.
 */
export abstract class Middleware {
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
  options: unknown;
  /** Ask every ready worker process; resolves to their answers (from `answerMainProcess`). */
  ask(topic: string): Promise<unknown[]>;
}

/** A main-process module's handle: closed when the supervisor stops. */
export interface MainProcessHandle {
  close(): Promise<void>;
}

export interface Middleware extends MiddlewareHooks {
  /** Answer a main-process module's question (see `mainProcessModule`), in a worker process. */
  answerMainProcess?(topic: string): unknown;
}
