import type { Broker } from "../broker.js";
import { isInstance } from "../error-text.js";
import { ActorNotFound, InvalidArgument, MiddlewareError } from "../errors.js";
import type { IsolatedCall } from "../isolation/pool.js";
import { WorkerPools } from "../isolation/worker-pools.js";
import type { Logger } from "../logger.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import { dqName, isDelayQueue } from "../queue-names.js";
import { clip, renderBounded } from "../render.js";
import { recordProgress } from "../state/progress.js";
import type { Progress } from "../state/types.js";
import { describeValue } from "../validate.js";
import { ConsumerLoop, PAUSED_QUEUE } from "./consumer-loop.js";
import { DelayHeap } from "./delay-heap.js";
import { Execution } from "./execution.js";
import type { Lanes } from "./lanes.js";
import { checkQueueNumbers, PlainLanes, RankedLanes, WeightedLanes } from "./lanes.js";
import { settling } from "./settle-watch.js";

/** Options of `new Worker()`. */
export interface WorkerOptions {
  /** Queues to consume; defaults to every queue declared on the broker, now or later. */
  queues?: Iterable<string>;
  /** Actor calls in flight at once. Default 8. */
  concurrency?: number;
  /** Unacked messages each queue's consumer may hold. Default 2 × concurrency. */
  prefetch?: number;
  /** Delayed messages each delay queue's consumer may hold in memory. Default 1000 × concurrency. */
  delayPrefetch?: number;
  /** Idle ms after which a fetch returns empty. Default 1000. */
  workerTimeout?: number;
  /**
   * Threads (or child processes) in each isolation pool, for actors declared with
   * `isolation`. Default: concurrency.
   */
  isolationThreads?: number;
  /**
   * Modules (URLs or specifiers `import()` takes) that each isolation thread or process
   * imports before the actor modules: a loader, such as tsx's `tsx/esm` for TypeScript actor
   * modules (what the `taskq` CLI passes when it loads a `.ts` module). Default: none.
   */
  isolationPreload?: readonly string[];
  /**
   * Queue ranks, e.g. `{ high: 10, low: 1 }`: whenever the worker holds messages of several
   * queues, a higher-ranked queue's start first (a bigger number first; unlisted queues are
   * 0), and a lower queue does not top up its prefetch while a higher one has messages
   * waiting. Not with `queueWeights`.
   */
  queuePriorities?: Readonly<Record<string, number>>;
  /**
   * Queue weights, e.g. `{ a: 3, b: 1 }`: busy queues share the concurrency slots in
   * proportion, so none starves (unlisted queues weigh 1). Not with `queuePriorities`.
   */
  queueWeights?: Readonly<Record<string, number>>;
}

/** Options of `worker.stop()`. */
export interface StopOptions {
  /** How long running actors may take to finish, ms. Default 10 minutes. */
  timeout?: number;
}

interface Delayed {
  proxy: MessageProxy;
  loop: ConsumerLoop;
}

interface Waiter {
  ready: () => boolean;
  resolve: (ok: boolean) => void;
  timer?: NodeJS.Timeout;
}

const MAX_TIMER = 2 ** 31 - 1;
const PROMOTE_RETRY_DELAY = 1000;

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgument(`Worker option ${name} must be an integer ≥ 1, got ${String(value)}`);
  }
  return value;
}

function moduleList(name: string, value: readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.length === 0)) {
    throw new InvalidArgument(
      `Worker option ${name} must be an array of module URLs or specifiers (non-empty strings), got ${describeValue(value)}`,
    );
  }
  return Object.freeze([...value]);
}

/**
 * Consumes a broker's queues and runs their actors: one consumer loop per queue and per
 * delay queue, a shared priority work queue, `concurrency` actor calls at once. Delayed
 * messages wait in memory until due, then move to their queue.
 */
// Not `implements ExecutionHost`: its members are stripped from the typings, so they must not name it.
export class Worker {
  /** The broker whose queues this worker consumes. */
  readonly broker: Broker;
  /** Actor calls in flight at once (the `concurrency` option, default 8). */
  readonly concurrency: number;
  /** Unacked messages each queue's consumer may hold (default 2 × concurrency). */
  readonly prefetch: number;
  /** Delayed messages each delay queue's consumer may hold (default 1000 × concurrency). */
  readonly delayPrefetch: number;
  /** Idle ms after which a fetch returns empty (default 1000). */
  readonly workerTimeout: number;
  /** Threads (or child processes) in each isolation pool; see `WorkerOptions.isolationThreads`. */
  readonly isolationThreads: number;
  /** Modules each isolation thread imports first; see `WorkerOptions.isolationPreload`. */
  readonly isolationPreload: readonly string[];
  /** The worker's own logger, `taskq.Worker`. */
  readonly log = lazyLogger("taskq.Worker");
  /** @internal Whether the logger writes debug lines; read once at `start()`. */
  debug = false;
  private readonly actorLogs = new Map<string, Logger>();

  private readonly requested: Set<string> | undefined;
  private readonly loops = new Map<string, ConsumerLoop>();
  private readonly work: Lanes<Execution>;
  /** Queues paused for the fleet (`broker.pauseQueue`), as last heard from the broker. */
  private pausedQueueSet: ReadonlySet<string> = new Set();
  /** Held messages of fleet-paused queues: they wait here, unstarted, until resumed. */
  private readonly parked = new Map<string, Execution[]>();
  private parkedCount = 0;
  private unwatchPaused: (() => void) | undefined;
  /** ConsumerLoopHost, set only with queuePriorities (no cost otherwise). */
  readonly outranked?: (loop: ConsumerLoop) => boolean;
  private readonly delayed = new DelayHeap<Delayed>();
  private readonly executing = new Set<Execution>();
  private delayTimer: NodeJS.Timeout | undefined;
  private delayTimerDue = Number.POSITIVE_INFINITY;
  private promoting = 0;
  private pendingSettles = 0;
  private paused = false;
  private state: "new" | "running" | "stopping" | "stopped" = "new";
  private stopping: Promise<void> | undefined;
  private waiters: Waiter[] = [];
  private unwatch: (() => void) | undefined;
  /** The broker's middlewareVersion that settleHooks and resultsKept were read at. */
  private hooksVersion = -1;
  private settleHooks = false;
  private resultsKept = false;
  /** Actors already warned about for a discarded return value (Dramatiq warns every time). */
  private readonly warnedDiscard = new Set<string>();
  private pools: WorkerPools | undefined;

  constructor(broker: Broker, options: WorkerOptions = {}) {
    this.broker = broker;
    this.concurrency = positiveInt("concurrency", options.concurrency, 8);
    this.prefetch = positiveInt("prefetch", options.prefetch, 2 * this.concurrency);
    this.delayPrefetch = positiveInt(
      "delayPrefetch",
      options.delayPrefetch,
      1000 * this.concurrency,
    );
    this.workerTimeout = positiveInt("workerTimeout", options.workerTimeout, 1000);
    this.isolationThreads = positiveInt(
      "isolationThreads",
      options.isolationThreads,
      this.concurrency,
    );
    this.isolationPreload = moduleList("isolationPreload", options.isolationPreload);
    this.requested = options.queues === undefined ? undefined : new Set(options.queues);
    const ranks = checkQueueNumbers("queuePriorities", options.queuePriorities, false);
    const weights = checkQueueNumbers("queueWeights", options.queueWeights, true);
    if (ranks !== undefined && weights !== undefined) {
      throw new InvalidArgument(
        "Worker options queuePriorities and queueWeights exclude each other: give one",
      );
    }
    if (ranks !== undefined) {
      const lanes = new RankedLanes<Execution>(ranks);
      this.work = lanes;
      this.outranked = (loop) => lanes.outranked(loop.queueName);
    } else if (weights !== undefined) {
      this.work = new WeightedLanes<Execution>(weights);
    } else {
      this.work = new PlainLanes<Execution>();
    }
  }

  /** Boot: runs the worker-boot hooks and starts a consumer for every queue. */
  async start(): Promise<void> {
    if (this.state !== "new")
      throw new InvalidArgument("A worker starts once; create a new Worker to start again");
    this.state = "running";
    this.debug = this.log.isLevelEnabled?.("debug") ?? false;
    const b = this.broker;
    // Before anything is fetched: an actor module that cannot be imported fails the boot.
    const pools = new WorkerPools(this.isolationThreads, this.isolationPreload, this.log);
    try {
      await pools.start(b);
    } catch (err) {
      this.state = "stopped";
      throw err;
    }
    this.pools = pools;
    this.readHooks();
    const before = b.emitBefore("beforeWorkerBoot", this);
    if (before) await before;
    await this.readPausedQueues();
    for (const q of b.getDeclaredQueues()) this.addQueue(q);
    if (this.requested !== undefined) {
      for (const q of this.requested) {
        if (!this.loops.has(q))
          this.log.warn(
            `Queue ${q} is not declared on the broker (yet); it is consumed once it is.`,
          );
      }
    }
    this.unwatch = b.watchQueues((q) => this.addQueue(q));
    const after = b.emitAfter("afterWorkerBoot", this);
    if (after) await after;
  }

  /**
   * Learn the fleet's paused queues before the first fetch, so a restarted worker does not
   * start a paused queue's messages; then follow the broker's notices.
   */
  private async readPausedQueues(): Promise<void> {
    let heard = false;
    this.unwatchPaused = this.broker.watchPausedQueues((paused) => {
      heard = true;
      this.setPausedQueues(paused);
    });
    if (heard) return;
    try {
      const paused = await this.broker.pausedQueues();
      if (!heard) this.setPausedQueues(new Set(paused));
    } catch (err) {
      this.log.error({ err }, "Could not read the paused queues; starting as if none were.");
    }
  }

  /** What the hot path needs to know of the middleware list, read again when it changes. */
  private readHooks(): void {
    const b = this.broker;
    this.hooksVersion = b.middlewareVersion;
    this.settleHooks =
      b.hasHook("beforeAck") ||
      b.hasHook("afterAck") ||
      b.hasHook("beforeNack") ||
      b.hasHook("afterNack");
    this.resultsKept = b.middleware.some((m) => m.resultsBackend !== undefined);
  }

  private addQueue(queueName: string): void {
    if (this.state !== "running" || this.loops.has(queueName)) return;
    if (this.requested !== undefined && !this.requested.has(queueName)) return;
    this.addLoop(queueName, false, this.prefetch);
    this.addLoop(dqName(queueName), true, this.delayPrefetch);
  }

  private addLoop(queueName: string, isDelay: boolean, prefetch: number): void {
    const consumer = this.broker.consume(queueName, { prefetch, timeout: this.workerTimeout });
    const loop = new ConsumerLoop(this, consumer, isDelay, prefetch);
    this.loops.set(queueName, loop);
    if (this.paused) loop.pause();
    if (!isDelay && this.pausedQueueSet.has(queueName)) loop.pause(PAUSED_QUEUE);
    loop.start();
  }

  /**
   * The broker's paused set changed: a paused queue's loop stops fetching and its held
   * messages wait unstarted (parked); a resumed queue's come back in their order. Delay
   * queues keep moving due messages onto their queue, where they wait with the others.
   */
  private setPausedQueues(paused: ReadonlySet<string>): void {
    if (this.state !== "running") return;
    const before = this.pausedQueueSet;
    this.pausedQueueSet = paused;
    for (const q of paused) {
      if (before.has(q)) continue;
      this.loops.get(q)?.pause(PAUSED_QUEUE);
      const held = this.work.take(q);
      if (held.length > 0) {
        this.parked.set(q, [...(this.parked.get(q) ?? []), ...held]);
        this.parkedCount += held.length;
      }
      this.log.info(`Queue ${q} is paused: its messages are not started until it is resumed.`);
    }
    let resumed = false;
    for (const q of before) {
      if (paused.has(q)) continue;
      resumed = true;
      this.loops.get(q)?.resume(PAUSED_QUEUE);
      const held = this.parked.get(q);
      if (held !== undefined) {
        this.parked.delete(q);
        this.parkedCount -= held.length;
        for (const e of held) this.work.push(e.actor.priority, e);
      }
      this.log.info(`Queue ${q} is resumed.`);
    }
    if (resumed) this.dispatch();
  }

  /**
   * Stop starting actors and stop taking messages from the broker (a fetch under way is cut
   * short), as Dramatiq's pause does: other workers get the messages meanwhile. Actors already
   * running finish; messages already held wait.
   */
  pause(): void {
    this.paused = true;
    for (const loop of this.loops.values()) loop.pause();
  }

  /** Start actors and fetch again after `pause()`. */
  resume(): void {
    this.paused = false;
    for (const loop of this.loops.values()) loop.resume();
    this.dispatch();
  }

  /** The messages whose actors are running now. */
  inProgress(): MessageProxy[] {
    const out: MessageProxy[] = [];
    for (const e of this.executing) if (e.running) out.push(e.proxy);
    return out;
  }

  /** Resolve once nothing is waiting, delayed or running in this worker. */
  async join(): Promise<void> {
    await this.waitFor(() => this.isIdle(), undefined);
  }

  private isIdle(): boolean {
    return (
      this.work.size === 0 &&
      this.parkedCount === 0 &&
      this.executing.size === 0 &&
      this.delayed.size === 0 &&
      this.promoting === 0 &&
      this.pendingSettles === 0
    );
  }

  /** @internal ExecutionHost */
  actorLog(actorName: string): Logger {
    let log = this.actorLogs.get(actorName);
    if (log === undefined) {
      log = lazyLogger(`taskq.actors.${actorName}`);
      this.actorLogs.set(actorName, log);
    }
    return log;
  }

  /** @internal ConsumerLoopHost */
  hungry(): boolean {
    return this.work.size === 0 && this.executing.size < this.concurrency && !this.paused;
  }

  /** @internal ConsumerLoopHost: a fetched batch arrives. */
  receive(loop: ConsumerLoop, batch: MessageProxy[]): void {
    if (loop.isDelay) {
      for (const proxy of batch) this.delay(loop, proxy);
      return;
    }
    if (this.broker.hasHook("afterReceiveMessages")) this.announce(batch);
    for (const proxy of batch) {
      const actor = this.broker.findActor(proxy.actorName);
      if (actor === undefined) {
        this.rejectUnknown(loop, proxy);
        continue;
      }
      const execution = new Execution(this, proxy, loop, actor);
      if (this.pausedQueueSet.size === 0) this.work.push(actor.priority, execution);
      else this.hold(execution);
    }
    this.dispatch();
  }

  /** Queue a message, or park it when its queue is paused for the fleet. */
  private hold(execution: Execution): void {
    const q = execution.loop.queueName;
    if (!this.pausedQueueSet.has(q)) {
      this.work.push(execution.actor.priority, execution);
      return;
    }
    const list = this.parked.get(q);
    if (list === undefined) this.parked.set(q, [execution]);
    else list.push(execution);
    this.parkedCount++;
  }

  /** Tell the middleware of a fetched batch; a hook's failure is logged, never awaited. */
  private announce(batch: MessageProxy[]): void {
    const after = this.broker.emitAfter("afterReceiveMessages", batch);
    if (after)
      after.catch((err) => this.log.error({ err }, "An afterReceiveMessages hook failed."));
  }

  private rejectUnknown(loop: ConsumerLoop, proxy: MessageProxy): void {
    const name = renderBounded(proxy.actorName, 200);
    const error = new ActorNotFound(`Actor ${name} is not declared on this broker`);
    this.log.error(
      `Received message ${clip(proxy.messageId)} for undeclared actor ${name}; moving it to the dead letters.`,
    );
    proxy.stuffException(error);
    proxy.fail();
    this.settleMessage(proxy, loop);
  }

  private dispatch(): void {
    if (this.paused || this.state !== "running") return;
    // paused again inside the loop: a synchronous actor's hooks may pause the worker.
    while (this.executing.size < this.concurrency && !this.paused) {
      const execution = this.work.shift();
      if (execution === undefined) {
        // Starving: let loops holding back for a bigger batch fetch what they can.
        for (const loop of this.loops.values()) if (!loop.isDelay) loop.nudge();
        return;
      }
      this.executing.add(execution);
      execution.start();
    }
  }

  /** @internal ExecutionHost: run an isolated actor's message in its pool. */
  isolate(execution: Execution): IsolatedCall {
    const pools = this.pools as WorkerPools;
    const proxy = execution.proxy;
    // setProgress in the thread lands here, on the proxy MessageState started: recorded as
    // without isolation (the thread checked the value before it crossed).
    return pools.run(execution.actor, JSON.stringify(proxy.message.asDict()), (value) =>
      recordProgress(proxy, value as Progress),
    );
  }

  /** @internal ExecutionHost: the outcome is decided; ack, nack or give back. */
  settle(execution: Execution): void {
    this.settleMessage(execution.proxy, execution.loop);
  }

  /** @internal ExecutionHost: the slot is free. */
  released(execution: Execution): void {
    this.executing.delete(execution);
    this.work.finished?.(execution);
    this.dispatch();
    if (this.waiters.length > 0) this.checkWaiters();
  }

  /**
   * @internal ExecutionHost: an actor returned a value that nothing keeps. Warned once per actor, in
   * Dramatiq's words: without a Results middleware; with one, Results warns itself.
   */
  resultDiscarded(proxy: MessageProxy): void {
    if (this.hooksVersion !== this.broker.middlewareVersion) this.readHooks();
    if (this.resultsKept || this.warnedDiscard.has(proxy.actorName)) return;
    this.warnedDiscard.add(proxy.actorName);
    this.log.warn(
      `Actor '${clip(proxy.actorName)}' returned a value that is not null, and you haven't added the Results middleware to the broker, so the value has been discarded. Consider adding the Results middleware to your broker or piping the result into another actor.`,
    );
  }

  private settleMessage(proxy: MessageProxy, loop: ConsumerLoop): void {
    const consumer = loop.consumer;
    if (this.hooksVersion !== this.broker.middlewareVersion) this.readHooks();
    let op: void | Promise<void>;
    try {
      settling(proxy, proxy.givenBack ? "requeue" : proxy.failed ? "nack" : "ack");
    } catch (err) {
      this.log.error({ err }, `A settle watcher failed on message ${proxy.messageId}; ignored.`);
    }
    try {
      // The dead letter says why: the error (and a failed hand-off) in its traceback option.
      if (proxy.failed && !proxy.givenBack) proxy.recordFailure();
      if (proxy.givenBack) op = consumer.requeue([proxy]);
      else if (this.settleHooks) op = this.settleWithHooks(proxy, loop);
      else op = proxy.failed ? consumer.nack(proxy) : consumer.ack(proxy);
    } catch (err) {
      op = Promise.reject(err);
    }
    loop.release();
    if (op) this.track(op, proxy);
  }

  private async settleWithHooks(proxy: MessageProxy, loop: ConsumerLoop): Promise<void> {
    const b = this.broker;
    const failed = proxy.failed;
    try {
      const before = b.emitBefore(failed ? "beforeNack" : "beforeAck", proxy);
      if (before) await before;
    } catch (err) {
      if (!isInstance(err, MiddlewareError)) throw err;
      this.log.error(
        { err },
        `A ${failed ? "beforeNack" : "beforeAck"} hook failed; settling message ${proxy.messageId} anyway.`,
      );
    }
    await (failed ? loop.consumer.nack(proxy) : loop.consumer.ack(proxy));
    const after = b.emitAfter(failed ? "afterNack" : "afterAck", proxy);
    if (after) await after;
  }

  private track(op: Promise<void>, proxy: MessageProxy): void {
    this.pendingSettles++;
    op.then(
      () => {
        this.pendingSettles--;
        if (this.waiters.length > 0) this.checkWaiters();
      },
      (err: unknown) => {
        this.pendingSettles--;
        this.log.error(
          { err },
          `Could not settle message ${proxy.messageId} with the broker; it will be delivered again.`,
        );
        if (this.waiters.length > 0) this.checkWaiters();
      },
    );
  }

  private delay(loop: ConsumerLoop, proxy: MessageProxy): void {
    try {
      const before = this.broker.emitBefore("beforeDelayMessage", proxy);
      if (before)
        before.catch((err) => this.log.error({ err }, "A beforeDelayMessage hook failed."));
    } catch (err) {
      this.log.error({ err }, "A beforeDelayMessage hook failed.");
    }
    const eta = proxy.options.eta;
    if (typeof eta !== "number" && eta != null) {
      this.log.warn(
        `Invalid eta value for message ${clip(proxy.messageId)}: ${renderBounded(eta, 200)}. Setting eta to the current time.`,
      );
    }
    this.delayed.push(typeof eta === "number" ? eta : Date.now(), { proxy, loop });
    this.armDelayTimer();
  }

  private armDelayTimer(): void {
    const due = this.delayed.peekDue();
    if (due === undefined || this.state !== "running") return;
    if (this.delayTimer !== undefined && this.delayTimerDue <= due) return;
    if (this.delayTimer !== undefined) clearTimeout(this.delayTimer);
    this.delayTimerDue = due;
    this.delayTimer = setTimeout(
      () => this.promoteDue(),
      Math.min(Math.max(0, due - Date.now()), MAX_TIMER),
    );
  }

  private promoteDue(): void {
    this.delayTimer = undefined;
    this.delayTimerDue = Number.POSITIVE_INFINITY;
    const now = Date.now();
    for (let d = this.delayed.popDue(now); d !== undefined; d = this.delayed.popDue(now))
      this.promote(d);
    this.armDelayTimer();
  }

  private promote(d: Delayed): void {
    this.promoting++;
    this.broker.promoteDelayed(d.loop.consumer, d.proxy).then(
      () => {
        this.promoting--;
        d.loop.release();
        if (this.waiters.length > 0) this.checkWaiters();
      },
      (err: unknown) => {
        this.promoting--;
        if (this.state === "running") {
          this.log.error(
            { err },
            `Could not move delayed message ${d.proxy.messageId} to its queue; trying again in ${PROMOTE_RETRY_DELAY} ms.`,
          );
          this.delayed.push(Date.now() + PROMOTE_RETRY_DELAY, d);
          this.armDelayTimer();
        } else {
          this.log.error(
            { err },
            `Could not move delayed message ${d.proxy.messageId} to its queue; it stays on its delay queue.`,
          );
          d.loop.release();
        }
        if (this.waiters.length > 0) this.checkWaiters();
      },
    );
  }

  /**
   * Stop gracefully: no more fetching; unstarted and delayed messages go back to the
   * broker; running actors get up to `timeout` ms to finish; then consumers close (and the
   * broker redelivers whatever is still unacked).
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.state === "new" || (this.state === "stopped" && this.stopping === undefined)) {
      // Never started, or its start failed (isolation pools that could not boot).
      this.state = "stopped";
      return Promise.resolve();
    }
    this.stopping ??= this.shutdown(options.timeout ?? 600_000);
    return this.stopping;
  }

  private async shutdown(timeout: number): Promise<void> {
    this.state = "stopping";
    this.unwatch?.();
    this.unwatchPaused?.();
    try {
      const before = this.broker.emitBefore("beforeWorkerShutdown", this);
      if (before) await before;
    } catch (err) {
      this.log.error({ err }, "A beforeWorkerShutdown hook failed.");
    }
    const loops = [...this.loops.values()];
    for (const loop of loops) loop.stop();
    await Promise.all(loops.map((l) => l.done));

    if (this.delayTimer !== undefined) clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    const parked = [...this.parked.values()].flat();
    this.parked.clear();
    this.parkedCount = 0;
    const unstarted = [
      ...[...this.work.drain(), ...parked].map((e) => ({ proxy: e.proxy, loop: e.loop })),
      ...this.delayed.drain(),
    ];
    await this.giveBack(unstarted);

    const finished = await this.waitFor(
      () => this.executing.size === 0 && this.promoting === 0 && this.pendingSettles === 0,
      timeout,
    );
    if (!finished) {
      this.log.warn(
        `${this.executing.size} actor(s) still running after ${timeout} ms; their messages will be delivered again.`,
      );
    }
    for (const loop of loops) {
      try {
        await loop.consumer.close();
      } catch (err) {
        this.log.error({ err }, `Could not close the consumer of queue ${loop.queueName}.`);
      }
    }
    // Still-running isolated calls are killed: no pool member outlives stop().
    await this.pools?.close();
    this.state = "stopped";
    const after = this.broker.emitAfter("afterWorkerShutdown", this);
    if (after) await after;
  }

  private async giveBack(items: Delayed[]): Promise<void> {
    const byLoop = new Map<ConsumerLoop, MessageProxy[]>();
    for (const { proxy, loop } of items) {
      const list = byLoop.get(loop);
      if (list) list.push(proxy);
      else byLoop.set(loop, [proxy]);
    }
    for (const [loop, proxies] of byLoop) {
      try {
        await loop.consumer.requeue(proxies);
      } catch (err) {
        this.log.error(
          { err },
          `Could not give ${proxies.length} message(s) back to ${loop.queueName}; the broker redelivers them when the consumer closes.`,
        );
      }
      loop.release(proxies.length);
    }
    if (items.length > 0) {
      const delayed = items.filter((i) => isDelayQueue(i.loop.queueName)).length;
      this.log.info(
        `Gave back ${items.length - delayed} unstarted and ${delayed} delayed message(s).`,
      );
    }
  }

  private waitFor(ready: () => boolean, timeout: number | undefined): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = { ready, resolve };
      if (timeout !== undefined) {
        waiter.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeout);
      }
      this.waiters.push(waiter);
    });
  }

  private checkWaiters(): void {
    const pending: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.ready()) {
        if (w.timer) clearTimeout(w.timer);
        w.resolve(true);
      } else {
        pending.push(w);
      }
    }
    this.waiters = pending;
  }
}
