import type { Actor } from "./actor.js";
import type { ConsumeOptions, Consumer } from "./consumer.js";
import type { DataQueue, DataQueueOptions } from "./data-queue.js";
import { isInstance } from "./error-text.js";
import {
  ActorNotFound,
  BrokerError,
  InvalidArgument,
  MiddlewareError,
  QueueNotFound,
} from "./errors.js";
import { lazyLogger } from "./logger.js";
import type { Message } from "./message.js";
import type { MessageProxy } from "./message-proxy.js";
import { callAround } from "./middleware/around.js";
import { defaultMiddleware } from "./middleware/defaults.js";
import type { HookName, Middleware, MiddlewareHooks } from "./middleware/middleware.js";
import { HOOK_NAMES } from "./middleware/middleware.js";
import { checkOption } from "./options.js";
import { markPromotion } from "./promotion.js";
import { assertQueueName, dqName, qName } from "./queue-names.js";
import { renderBounded } from "./render.js";
import type { ResultReader } from "./results/types.js";

/** Options every broker constructor accepts. */
export interface BrokerOptions {
  /** The full middleware list; defaults to AgeLimit, TimeLimit, ShutdownNotifications, Callbacks, Pipelines, Retries. */
  middleware?: Middleware[];
}

/** Options of `broker.enqueue` and `broker.enqueueMany`. */
export interface EnqueueOptions {
  /** Run no earlier than this many ms from now. */
  delay?: number;
}

/** Options of `broker.ping`. */
export interface PingOptions {
  /** Give up after this many ms (default: the broker's connection timeout). */
  timeout?: number;
}

/** Options of `broker.join`. */
export interface JoinOptions {
  /** Give up with QueueJoinTimeout after this many ms. */
  timeout?: number;
}

/** How many messages a queue holds, by state (`broker.getQueueMessageCounts`). */
export interface QueueMessageCounts {
  /** Waiting in the queue. */
  ready: number;
  /** Waiting in the delay queue. */
  delayed: number;
  /** In the dead-letter queue. */
  dead: number;
  /** Fetched by workers and not yet settled, where the broker can tell (Redis can, RabbitMQ cannot). */
  inProgress?: number;
}

/** A dead-lettered message, as an operator sees it. */
export interface DeadLetterInfo {
  /** The broker's own id for it. */
  id: string;
  /** The decoded message; null when its bytes do not decode. */
  message: Message | null;
  /** The raw text, for what does not decode. */
  data: string;
  /** When it was dead-lettered (ms since the epoch), where the broker records it. */
  failedAt?: number;
}

/** Options of `broker.getDeadLetters`. */
export interface DeadLetterListOptions {
  /** Dead letters to skip first. Default 0. */
  offset?: number;
  /** Most dead letters to return. Default: all (operators' tools on small queues). */
  limit?: number;
  /**
   * List the newest first. StubBroker and RedisBroker honour it; RabbitMQ can only read its
   * dead-letter queue in order and lists oldest first whatever this says.
   */
  newestFirst?: boolean;
}

/** Options of `broker.requeueDeadLetters` and `broker.purgeDeadLetters`. */
export interface DeadLetterSelection {
  /**
   * Only the dead letters of these message ids; ids that are not dead letters of the queue
   * are passed over (the count tells how many were found). Absent: every dead letter.
   */
  ids?: readonly string[];
}

/** A worker process alive by its heartbeat (`broker.listWorkers`). */
export interface WorkerInfo {
  /** The broker id the worker beats with. */
  id: string;
  /** Its last heartbeat (ms since the epoch). */
  lastSeen: number;
  /** The queues it has fetched from (the queues it consumes), sorted. */
  queues: string[];
}

/** Names the actor options every broker accepts, whatever its middleware. */
const BASE_ACTOR_OPTIONS = [
  "actorName",
  "queueName",
  "priority",
  "alternativeQueues",
  "broker",
  // Read by the worker itself (DESIGN §16), whatever the middleware list.
  "isolation",
  "actorModule",
];

// biome-ignore lint/suspicious/noExplicitAny: hooks are stored untyped and called with their own args.
type HookFn = (this: Middleware, broker: Broker, ...args: any[]) => void | Promise<void>;

const log = lazyLogger("taskq.Broker");

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== undefined && v !== null && typeof (v as { then?: unknown }).then === "function";
}

type MiddlewareClass = abstract new (...args: never[]) => Middleware;

function middlewareName(m: Middleware): string {
  const name = (m.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === "string" && name.length > 0 ? name : "a middleware";
}

/**
 * What every broker shares: middleware and hook dispatch, actor and queue declarations,
 * the enqueue pipeline (delays, hooks, encoding). Subclasses move bytes.
 */
export abstract class Broker {
  private middlewareList: Middleware[];
  private hooks = new Map<HookName, Middleware[]>();
  private actorOptionNames = new Set<string>();
  /** The declared actors by name, for subclasses (read only: `declareActor` adds to it). */
  protected readonly actors = new Map<string, Actor>();
  /** The declared queues, for subclasses (read only: `declareQueue` adds to it). */
  protected readonly queues = new Set<string>();
  /** The delay queues of the declared queues, for subclasses (read only). */
  protected readonly delayQueues = new Set<string>();
  private queueListeners = new Set<(queueName: string) => void>();
  private pauseListeners = new Set<(paused: ReadonlySet<string>) => void>();
  /** The paused set last heard of; undefined until the broker has read it once. */
  private pausedKnown: ReadonlySet<string> | undefined;
  private version = 0;

  constructor(options: BrokerOptions = {}) {
    this.middlewareList = options.middleware ? [...options.middleware] : defaultMiddleware();
    this.rebuildHooks();
    // Subclasses override close() for their own connections and need not call super: the
    // instance's close() runs theirs, then (once) the middleware's afterBrokerClose hooks,
    // which close the backends middleware hold, so a producer script exits after close().
    const closeConnections = this.close;
    let middlewareClosed: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      try {
        await closeConnections.call(this);
      } finally {
        middlewareClosed ??= Promise.resolve(this.emitAfter("afterBrokerClose"));
        await middlewareClosed;
      }
    };
    Object.defineProperty(this, "close", { value: close, writable: true, configurable: true });
  }

  /** The middleware, in order. */
  get middleware(): readonly Middleware[] {
    return this.middlewareList;
  }

  /**
   * Grows by one each time the middleware list changes: a worker caches what it derives from
   * the hook lists (whether ack hooks exist, whether results are stored) and re-reads them only
   * when this moves, so middleware added after `worker.start()` gets every hook.
   * @internal
   */
  get middlewareVersion(): number {
    return this.version;
  }

  /** Every option name an actor on this broker may be declared with. */
  get actorOptions(): ReadonlySet<string> {
    return this.actorOptionNames;
  }

  /**
   * Add a middleware at the end of the list, or just before/after the first middleware of
   * a given class. It sees the actors and queues declared so far.
   */
  addMiddleware(
    middleware: Middleware,
    position: { before?: MiddlewareClass; after?: MiddlewareClass } = {},
  ): void {
    const { before, after } = position;
    if (before !== undefined && after !== undefined) {
      throw new InvalidArgument("addMiddleware: pass either before or after, not both");
    }
    const anchor = before ?? after;
    const kind = middleware.constructor as MiddlewareClass;
    if (this.middlewareList.some((m) => m instanceof kind)) {
      log.warn(
        `You're adding a middleware of the same type twice: ${kind.name}. It may have unexpected results.`,
      );
    }
    if (anchor === undefined) {
      this.middlewareList.push(middleware);
    } else {
      const index = this.middlewareList.findIndex((m) => m instanceof anchor);
      if (index < 0) {
        throw new InvalidArgument(
          `addMiddleware: no ${anchor.name} middleware on this broker to put it ${before ? "before" : "after"}`,
        );
      }
      this.middlewareList.splice(before ? index : index + 1, 0, middleware);
    }
    this.rebuildHooks();
    for (const actor of this.actors.values()) this.callSync(middleware, "afterDeclareActor", actor);
    for (const q of this.queues) this.callSync(middleware, "afterDeclareQueue", q);
    for (const q of this.delayQueues) this.callSync(middleware, "afterDeclareDelayQueue", q);
  }

  private rebuildHooks(): void {
    this.version++;
    this.hooks.clear();
    for (const name of HOOK_NAMES) {
      const list = this.middlewareList.filter((m) => typeof m[name] === "function");
      if (name.startsWith("after")) list.reverse();
      this.hooks.set(name, list);
    }
    this.actorOptionNames = new Set([...BASE_ACTOR_OPTIONS, ...this.implicitActorOptions]);
    for (const m of this.middlewareList)
      for (const o of m.actorOptions) this.actorOptionNames.add(o);
  }

  /**
   * Option names actors on this broker may use whatever its middleware (LocalBroker: those
   * of the default middleware, which it accepts without a worker to apply them). Read while
   * the base constructor runs, so it must not depend on subclass fields.
   * @internal
   */
  protected get implicitActorOptions(): readonly string[] {
    return [];
  }

  /** @internal Whether any middleware implements a hook; lets hot paths skip work nobody watches. */
  hasHook(name: HookName): boolean {
    return (this.hooks.get(name)?.length ?? 0) > 0;
  }

  /**
   * Runs the `before*` hooks in order. Returns nothing when every hook was synchronous, so
   * the caller pays for an await only when a hook is async. A MiddlewareError propagates.
   */
  emitBefore<K extends HookName>(
    name: K,
    ...args: Parameters<NonNullable<MiddlewareHooks[K]>> extends [Broker, ...infer A] ? A : never
  ): void | Promise<void> {
    return this.emit(name, true, args);
  }

  /** Runs the `after*` hooks in reverse order; errors are logged and ignored. */
  emitAfter<K extends HookName>(
    name: K,
    ...args: Parameters<NonNullable<MiddlewareHooks[K]>> extends [Broker, ...infer A] ? A : never
  ): void | Promise<void> {
    return this.emit(name, false, args);
  }

  private emit(name: HookName, propagate: boolean, args: unknown[]): void | Promise<void> {
    const list = this.hooks.get(name);
    if (list === undefined || list.length === 0) return;
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      const fn = m[name] as HookFn;
      let r: unknown;
      try {
        // Hooks take one to three arguments; calling without a spread keeps this hot path lean.
        r =
          args.length === 1
            ? fn.call(m, this, args[0])
            : args.length === 2
              ? fn.call(m, this, args[0], args[1])
              : fn.call(m, this, ...args);
      } catch (err) {
        this.hookFailed(m, name, err, propagate);
        continue;
      }
      if (isThenable(r)) return this.emitRest(list, i, r, name, propagate, args);
    }
  }

  private async emitRest(
    list: Middleware[],
    index: number,
    pending: PromiseLike<unknown>,
    name: HookName,
    propagate: boolean,
    args: unknown[],
  ): Promise<void> {
    try {
      await pending;
    } catch (err) {
      this.hookFailed(list[index]!, name, err, propagate);
    }
    for (let i = index + 1; i < list.length; i++) {
      const m = list[i]!;
      try {
        await (m[name] as HookFn).call(m, this, ...args);
      } catch (err) {
        this.hookFailed(m, name, err, propagate);
      }
    }
  }

  /**
   * Runs `call` (an actor call) inside every middleware's `aroundProcessMessage`, the first
   * outermost; settles as `call()` does. Callers check `hasHook("aroundProcessMessage")`
   * first, so that a broker without wraps makes no closure or promise for them.
   * @internal
   */
  emitAround(message: MessageProxy, call: () => Promise<unknown>): Promise<unknown> {
    const list = this.hooks.get("aroundProcessMessage");
    if (list === undefined || list.length === 0) return call();
    return callAround(this, list, message, call, (m, err) =>
      this.hookFailed(m, "aroundProcessMessage", err, false),
    );
  }

  private hookFailed(m: Middleware, name: HookName, err: unknown, propagate: boolean): void {
    if (propagate && isInstance(err, MiddlewareError)) throw err;
    log.error({ err }, `Unexpected failure in ${name} of ${middlewareName(m)}; ignored.`);
  }

  /** Declaration hooks are synchronous; a stray promise is still watched for errors. */
  private callSync(m: Middleware, name: HookName, arg: unknown): void {
    try {
      const r = (m[name] as HookFn | undefined)?.call(m, this, arg);
      if (isThenable(r)) (r as Promise<void>).catch((err) => this.hookFailed(m, name, err, false));
    } catch (err) {
      this.hookFailed(m, name, err, false);
    }
  }

  private emitSync(name: HookName, arg: unknown): void {
    const r = this.emit(name, true, [arg]);
    if (r) r.catch((err: unknown) => log.error({ err }, `Unexpected failure in ${name}; ignored.`));
  }

  /**
   * Register an actor: checks its name is free and that every option is one some
   * middleware reads, with a value of the right type. Declares its queues.
   */
  declareActor(actor: Actor): void {
    if (this.actors.has(actor.actorName) && this.actors.get(actor.actorName) !== actor) {
      throw new InvalidArgument(
        `An actor named ${JSON.stringify(actor.actorName)} is already declared on this broker`,
      );
    }
    for (const name of Object.keys(actor.options)) {
      if (!this.actorOptionNames.has(name)) {
        const known = [...this.actorOptionNames]
          .filter((o) => !BASE_ACTOR_OPTIONS.includes(o))
          .sort();
        throw new InvalidArgument(
          `Unknown option ${JSON.stringify(name)} for actor ${JSON.stringify(actor.actorName)}; this broker's middleware accept: ${known.join(", ")}`,
        );
      }
      checkOption(
        name,
        (actor.options as Record<string, unknown>)[name],
        `actor ${actor.actorName}`,
      );
    }
    this.emitSync("beforeDeclareActor", actor);
    this.declareQueue(actor.queueName);
    for (const q of actor.alternativeQueues) this.declareQueue(q);
    this.actors.set(actor.actorName, actor);
    this.emitSync("afterDeclareActor", actor);
  }

  /** Declare a queue (and its delay queue). Idempotent. */
  declareQueue(queueName: string): void {
    assertQueueName(queueName);
    if (this.queues.has(queueName)) return;
    this.emitSync("beforeDeclareQueue", queueName);
    this.queues.add(queueName);
    this.onQueueDeclared(queueName);
    this.emitSync("afterDeclareQueue", queueName);
    const dq = dqName(queueName);
    this.delayQueues.add(dq);
    this.onQueueDeclared(dq);
    this.emitSync("afterDeclareDelayQueue", dq);
    for (const listener of this.queueListeners) listener(queueName);
  }

  /** Subclass hook: a queue or delay queue was declared (lazy brokers just note it). */
  protected onQueueDeclared(_queueName: string): void {}

  /** @internal Call `listener` for each queue declared from now on; returns an unsubscribe function. */
  watchQueues(listener: (queueName: string) => void): () => void {
    this.queueListeners.add(listener);
    return () => this.queueListeners.delete(listener);
  }

  /**
   * Pause a queue for every worker of the fleet: within a second none starts its messages
   * (those already held wait, they are not lost) until `resumeQueue`. The pause is kept on
   * the server, so it survives worker restarts. Brokers without a shared server throw.
   */
  async pauseQueue(queueName: string): Promise<void> {
    this.pauseName(queueName);
    throw new BrokerError(`${this.constructor.name} cannot pause queues`);
  }

  /** Undo `pauseQueue`: workers start the queue's messages again within a second. */
  async resumeQueue(queueName: string): Promise<void> {
    this.pauseName(queueName);
    throw new BrokerError(`${this.constructor.name} cannot pause queues`);
  }

  /** The names of the queues paused for the fleet, sorted. */
  async pausedQueues(): Promise<string[]> {
    return [];
  }

  /** A queue name as pause and resume take it: the queue itself, whatever suffix it came with. */
  protected pauseName(queueName: string): string {
    if (typeof queueName !== "string")
      throw new InvalidArgument(
        `queue name must be a string, got ${renderBounded(queueName, 100)}`,
      );
    const q = qName(queueName);
    assertQueueName(q);
    return q;
  }

  /**
   * Call `listener` with the whole paused set whenever it may have changed (and once with the
   * current set as soon as it is known); returns an unsubscribe function. Workers use it; the
   * broker follows the server's pause notices only while someone listens.
   */
  watchPausedQueues(listener: (paused: ReadonlySet<string>) => void): () => void {
    const first = this.pauseListeners.size === 0;
    this.pauseListeners.add(listener);
    if (first) this.startPauseWatch();
    else if (this.pausedKnown !== undefined) listener(this.pausedKnown);
    return () => {
      if (!this.pauseListeners.delete(listener)) return;
      if (this.pauseListeners.size === 0) {
        this.pausedKnown = undefined;
        this.stopPauseWatch();
      }
    };
  }

  /** Subclass hook: the first listener came; follow the paused set and report it with `notePausedQueues`. */
  protected startPauseWatch(): void {}

  /** Subclass hook: the last listener left. */
  protected stopPauseWatch(): void {}

  /** Subclasses report the paused set they read or were told of; listeners hear of changes only. */
  protected notePausedQueues(names: Iterable<string>): void {
    if (this.pauseListeners.size === 0) return;
    const next = new Set(names);
    const known = this.pausedKnown;
    if (known !== undefined && known.size === next.size && [...next].every((n) => known.has(n)))
      return;
    this.pausedKnown = next;
    for (const listener of [...this.pauseListeners]) {
      try {
        listener(next);
      } catch (err) {
        log.error({ err }, "A paused-queues listener failed.");
      }
    }
  }

  /** The actor declared under `actorName`; ActorNotFound when there is none. */
  getActor(actorName: string): Actor {
    const actor = this.actors.get(actorName);
    if (actor === undefined)
      throw new ActorNotFound(
        `Actor ${renderBounded(actorName, 200)} is not declared on this broker`,
      );
    return actor;
  }

  /** The actor, or undefined: for hot paths that handle absence themselves. */
  findActor(actorName: string): Actor | undefined {
    return this.actors.get(actorName);
  }

  /** The names of every actor declared on this broker (a copy). */
  getDeclaredActors(): Set<string> {
    return new Set(this.actors.keys());
  }

  /** The names of every queue declared on this broker, without delay queues (a copy). */
  getDeclaredQueues(): Set<string> {
    return new Set(this.queues);
  }

  /** The names of the delay queues of the declared queues (a copy). */
  getDeclaredDelayQueues(): Set<string> {
    return new Set(this.delayQueues);
  }

  /** The Results middleware's backend; an error when there is none. */
  getResultsBackend(): ResultReader {
    for (const m of this.middlewareList) {
      const backend = m.resultsBackend;
      if (backend !== undefined) return backend;
    }
    throw new InvalidArgument(
      "This broker has no result backend: add the Results middleware with a backend",
    );
  }

  private checkDelay(delay: number | undefined): void {
    if (
      delay !== undefined &&
      !(typeof delay === "number" && delay >= 0 && Number.isFinite(delay))
    ) {
      throw new InvalidArgument(`delay must be a finite number of ms ≥ 0, got ${String(delay)}`);
    }
  }

  /** The message as it goes on the wire: on the delay queue, with its eta, when delayed. */
  private prepare<R>(message: Message<R>, delay: number | undefined): Message<R> {
    const queueName = qName(message.queueName);
    if (!this.queues.has(queueName)) {
      throw new QueueNotFound(
        `Queue ${renderBounded(queueName, 200)} is not declared on this broker`,
      );
    }
    if (delay !== undefined && delay > 0) {
      return message.copy({ queueName: dqName(queueName), options: { eta: Date.now() + delay } });
    }
    return message.queueName === queueName ? message : message.copy({ queueName });
  }

  /**
   * Put a message on its queue (or its delay queue). Resolves to the message as enqueued —
   * a copy when delayed — once the broker has it.
   */
  async enqueue<R>(message: Message<R>, options: EnqueueOptions = {}): Promise<Message<R>> {
    const { delay } = options;
    this.checkDelay(delay);
    const prepared = this.prepare(message, delay);
    const before = this.emitBefore("beforeEnqueue", prepared, delay);
    if (before) await before;
    const stored = await this.doEnqueue(prepared);
    const after = this.emitAfter("afterEnqueue", stored, delay);
    if (after) await after;
    return stored;
  }

  /** Enqueue several messages; brokers that can do it in one round trip do. */
  async enqueueMany<R>(
    messages: readonly Message<R>[],
    options: EnqueueOptions = {},
  ): Promise<Message<R>[]> {
    const { delay } = options;
    this.checkDelay(delay);
    const prepared = messages.map((m) => this.prepare(m, delay));
    if (this.hasHook("beforeEnqueue")) {
      for (const m of prepared) {
        const r = this.emitBefore("beforeEnqueue", m, delay);
        if (r) await r;
      }
    }
    const stored = await this.doEnqueueMany(prepared);
    if (this.hasHook("afterEnqueue")) {
      // Started together, so a hook that writes somewhere (message state) batches its writes.
      const pending: Promise<void>[] = [];
      for (const m of stored) {
        const r = this.emitAfter("afterEnqueue", m, delay);
        if (r) pending.push(r);
      }
      if (pending.length > 0) await Promise.all(pending);
    }
    return stored;
  }

  /**
   * Move a due delayed message from the delay queue a consumer read it from to its queue.
   * Brokers that can do it in one atomic step override `doPromote`.
   * @internal
   */
  async promoteDelayed(consumer: Consumer, delayed: MessageProxy): Promise<void> {
    const target = delayed.message.copy({ queueName: qName(delayed.queueName) });
    markPromotion(target);
    const before = this.emitBefore("beforeEnqueue", target, undefined);
    if (before) await before;
    await this.doPromote(consumer, delayed, target);
    const after = this.emitAfter("afterEnqueue", target, undefined);
    if (after) await after;
  }

  /** Default promotion: enqueue the copy, then ack the delayed original (two steps). */
  protected async doPromote(
    consumer: Consumer,
    delayed: MessageProxy,
    target: Message,
  ): Promise<void> {
    await this.doEnqueue(target);
    await consumer.ack(delayed);
  }

  /** Store one prepared message; resolve to it (or the copy actually stored). */
  protected abstract doEnqueue<R>(message: Message<R>): Promise<Message<R>>;

  /**
   * Store several prepared messages. This default calls `doEnqueue` for each in turn; brokers that
   * can batch override it.
   */
  protected async doEnqueueMany<R>(messages: readonly Message<R>[]): Promise<Message<R>[]> {
    const out: Message<R>[] = [];
    for (const m of messages) out.push(await this.doEnqueue(m));
    return out;
  }

  /** A consumer for one queue or delay queue. */
  abstract consume(queueName: string, options?: ConsumeOptions): Consumer;

  /** Resolve once the queue and its delay queue are empty and nothing of theirs is in flight. */
  abstract join(queueName: string, options?: JoinOptions): Promise<void>;

  /** Drop every message of a queue, its delay queue and its dead letters. */
  abstract flush(queueName: string): Promise<void>;

  /** Drop every message of every declared queue (`flush` on each). */
  async flushAll(): Promise<void> {
    for (const q of this.queues) await this.flush(q);
  }

  /**
   * How many messages a queue holds: ready, delayed, dead and (where the broker can tell) in
   * progress.
   */
  abstract getQueueMessageCounts(queueName: string): Promise<QueueMessageCounts>;

  /**
   * Resolve once the broker's server answers; a ConnectionError naming its address otherwise,
   * at the latest after `timeout` ms (default: the broker's connection timeout). Lets a worker
   * fail fast at boot instead of at its first fetch.
   */
  async ping(_options: PingOptions = {}): Promise<void> {}

  /** The dead letters of a queue, oldest first unless `newestFirst` (operators' tools). */
  async getDeadLetters(
    _queueName: string,
    _options: DeadLetterListOptions = {},
  ): Promise<DeadLetterInfo[]> {
    throw new BrokerError(`${this.constructor.name} cannot list dead letters`);
  }

  /**
   * Put a queue's dead letters (all, or those of `ids`) back on their queue, each keeping its
   * message id; resolves to how many were put back.
   */
  async requeueDeadLetters(
    _queueName: string,
    _options: DeadLetterSelection = {},
  ): Promise<number> {
    throw new BrokerError(`${this.constructor.name} cannot requeue dead letters`);
  }

  /** Delete a queue's dead letters (all, or those of `ids`); resolves to how many. */
  async purgeDeadLetters(_queueName: string, _options: DeadLetterSelection = {}): Promise<number> {
    throw new BrokerError(`${this.constructor.name} cannot purge dead letters`);
  }

  /**
   * The workers alive by their heartbeats, most recently seen first, at most `limit` (default
   * 1000). Optional: only brokers that keep heartbeats (Redis) have it.
   */
  listWorkers?(options?: { limit?: number }): Promise<WorkerInfo[]>;

  /**
   * A queue of plain JSON items with batch reads, leases and dead items (rpqueue's `Data`);
   * see `DataQueue`. Handles are cheap: every handle of one name works the same items.
   */
  dataQueue<T = unknown>(_name: string, _options: DataQueueOptions = {}): DataQueue<T> {
    throw new BrokerError(`${this.constructor.name} has no data queues`);
  }

  /**
   * Release connections and timers, then what the middleware hold: their `afterBrokerClose`
   * hooks run (Results and GroupCallbacks close their backends' own connections; a client
   * you gave a backend stays open). Subclasses override this for their connections only.
   */
  async close(): Promise<void> {}
}
