import type { Consumer } from "../consumer.js";
import type { Logger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";

export interface ConsumerLoopHost {
  readonly log: Logger;
  readonly workerTimeout: number;
  /** Take in a batch of fetched messages. */
  receive(loop: ConsumerLoop, batch: MessageProxy[]): void;
  /** A slot is free and no message waits for one: fetch now, however few fit. */
  hungry(): boolean;
  /** Hold back refills: a higher-priority queue has messages waiting (optional). */
  outranked?(loop: ConsumerLoop): boolean;
}

/** Why a loop does not fetch: the worker is paused, or its queue is paused for the fleet. */
export const PAUSED_WORKER = 1;
export const PAUSED_QUEUE = 2;

const MIN_RESTART_DELAY = 100;
const MAX_RESTART_DELAY = 3000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Fetches from one queue while fewer than `prefetch` of its messages are outstanding
 * (fetched and not yet acked, nacked or given back). A failing broker is retried with
 * backoff; the loop only ends when stopped.
 */
export class ConsumerLoop {
  readonly queueName: string;
  readonly isDelay: boolean;
  readonly consumer: Consumer;
  readonly prefetch: number;
  /**
   * Refill once this many slots are free (half the prefetch), so each fetch brings a batch
   * and the next one is under way while the last is processed; sooner if the worker starves.
   */
  private readonly refillAt: number;
  /** The last fetch brought fewer than asked: the queue ran dry, so take whatever comes. */
  private drained = true;
  outstanding = 0;
  private readonly host: ConsumerLoopHost;
  /** Aborts the fetch under way (and a restart wait): on stop, and on pause (then replaced). */
  private abort = new AbortController();
  private wake: (() => void) | undefined;
  private stopped = false;
  /** PAUSED_WORKER | PAUSED_QUEUE bits; 0 when fetching. */
  private paused = 0;
  done: Promise<void> = Promise.resolve();

  constructor(host: ConsumerLoopHost, consumer: Consumer, isDelay: boolean, prefetch: number) {
    this.host = host;
    this.consumer = consumer;
    this.queueName = consumer.queueName;
    this.isDelay = isDelay;
    this.prefetch = prefetch;
    this.refillAt = isDelay ? 1 : Math.max(1, Math.floor(prefetch / 2));
  }

  private shouldFetch(): boolean {
    if (this.paused !== 0) return false;
    const free = this.prefetch - this.outstanding;
    if (free <= 0) return false;
    // A lower-priority queue does not top up while a higher one has messages waiting, so
    // its flood cannot take what slots free up (it still fetches when its held ones ran out).
    if (this.outstanding > 0 && this.host.outranked?.(this) === true) return false;
    return free >= this.refillAt || this.drained || this.host.hungry();
  }

  start(): void {
    this.done = this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wakeUp();
  }

  get isPaused(): boolean {
    return this.paused !== 0;
  }

  /** Stop fetching until `resume(reason)`; a fetch under way is cut short. */
  pause(reason: number = PAUSED_WORKER): void {
    if (this.stopped || (this.paused & reason) !== 0) return;
    const was = this.paused;
    this.paused |= reason;
    if (was !== 0) return;
    this.abort.abort();
    this.abort = new AbortController();
  }

  resume(reason: number = PAUSED_WORKER): void {
    if ((this.paused & reason) === 0) return;
    this.paused &= ~reason;
    if (this.paused === 0 && this.wake !== undefined && this.shouldFetch()) this.wakeUp();
  }

  /** One of this loop's messages is settled: there is room to fetch again. */
  release(count = 1): void {
    this.outstanding -= count;
    if (this.wake !== undefined && this.shouldFetch()) this.wakeUp();
  }

  /** The worker ran out of queued work: fetch even a small batch. */
  nudge(): void {
    if (this.wake !== undefined && this.shouldFetch()) this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      wake();
    }
  }

  private async run(): Promise<void> {
    const { host } = this;
    let failures = 0;
    while (!this.stopped) {
      if (!this.shouldFetch()) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const free = this.prefetch - this.outstanding;
      const signal = this.abort.signal;
      let batch: MessageProxy[];
      try {
        batch = await this.consumer.fetch(free, { timeout: host.workerTimeout, signal });
        if (failures > 0) {
          host.log.info(`Consumer for queue ${this.queueName} is fetching again.`);
          failures = 0;
        }
      } catch (err) {
        if (this.stopped) break;
        // Cut short by pause(): not a broker failure.
        if (signal.aborted) continue;
        const wait = Math.min(MIN_RESTART_DELAY * 2 ** failures, MAX_RESTART_DELAY);
        failures++;
        host.log.error(
          { err },
          `Consumer for queue ${this.queueName} failed to fetch; retrying in ${wait} ms.`,
        );
        await sleep(wait, signal);
        continue;
      }
      this.drained = batch.length < free;
      if (batch.length > 0) {
        this.outstanding += batch.length;
        try {
          host.receive(this, batch);
        } catch (err) {
          // A bug must not end this loop: the queue would silently stop being consumed.
          host.log.error({ err }, `Could not take in a batch from queue ${this.queueName}.`);
        }
      }
    }
  }
}
