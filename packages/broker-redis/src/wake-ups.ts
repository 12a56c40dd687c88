import type { Logger } from "@taskq/core";
import { type AnyRedis, duplicateClient, RedisConnection } from "@taskq/redis-common";
import type { Keys } from "./keys.js";

/**
 * The wake-up notices of one broker: one subscriber connection for all its queues, and for
 * each consumer a `Waker` it parks on while its queue is empty. A producer publishes on the
 * queue's channel when the queue goes from empty to not empty (see enqueue.lua).
 */
export class WakeUps {
  private readonly source: RedisConnection<AnyRedis>;
  private readonly keys: Keys;
  private readonly log: Logger;
  private subscriber: RedisConnection<AnyRedis> | undefined;
  private readonly subscribed = new Map<string, Promise<unknown>>();
  private readonly wakers = new Map<string, Set<Waker>>();

  constructor(source: RedisConnection<AnyRedis>, keys: Keys, log: Logger) {
    this.source = source;
    this.keys = keys;
    this.log = log;
  }

  /** The channel a queue's (or data-queue topic's) producers publish on. */
  channel(topic: string): string {
    return this.keys.wake(topic);
  }

  /** A waker for one consumer of `queueName`, subscribed to the queue's channel. */
  watch(queueName: string): Waker {
    const channel = this.keys.wake(queueName);
    const waker = new Waker(this, queueName, this.subscribe(channel, queueName));
    let set = this.wakers.get(queueName);
    if (set === undefined) {
      set = new Set();
      this.wakers.set(queueName, set);
    }
    set.add(waker);
    return waker;
  }

  /** Waker: it is no longer used. */
  forget(waker: Waker): void {
    this.wakers.get(waker.queueName)?.delete(waker);
  }

  private subscribe(channel: string, queueName: string): Promise<unknown> {
    const known = this.subscribed.get(channel);
    if (known !== undefined) return known;
    if (this.subscriber === undefined) {
      // ioredis subscribes again by itself after a reconnect.
      this.subscriber = new RedisConnection({
        client: duplicateClient(this.source.client),
        owned: true,
        connectionTimeout: this.source.connectionTimeout,
        what: "wake-up",
        log: this.log,
        parent: this.source,
      });
      this.subscriber.client.on("message", (ch: string) => {
        const topic = this.keys.wakeTopic(ch);
        const set = topic === undefined ? undefined : this.wakers.get(topic);
        if (set !== undefined) for (const w of set) w.wake();
      });
    }
    const done = this.subscriber
      .run(`subscribe to the wake-ups of ${queueName}`, (client) => client.subscribe(channel), {
        idempotent: true,
      })
      .catch((err: unknown) => {
        this.subscribed.delete(channel);
        this.log.warn(
          { err },
          `Could not subscribe to the wake-ups of ${queueName}; idle consumers fall back to polling.`,
        );
      });
    this.subscribed.set(channel, done);
    return done;
  }

  close(): void {
    this.subscriber?.close();
    this.subscriber = undefined;
    this.subscribed.clear();
    this.wakers.clear();
  }
}

/**
 * One consumer's wake-ups: a notice that comes while the consumer is fetching is kept, so
 * the next wait returns at once instead of missing it.
 */
export class Waker {
  readonly queueName: string;
  private readonly owner: WakeUps;
  private readonly subscribed: Promise<unknown>;
  private pending = false;
  private waiter: (() => void) | undefined;

  constructor(owner: WakeUps, queueName: string, subscribed: Promise<unknown>) {
    this.owner = owner;
    this.queueName = queueName;
    this.subscribed = subscribed;
  }

  /** Something was enqueued on the queue. */
  wake(): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter();
    } else {
      this.pending = true;
    }
  }

  /** Resolves once the subscription is in place (or failed): notices from then on are kept. */
  ready(): Promise<unknown> {
    return this.subscribed;
  }

  /** A fetch is about to look at the queue: earlier notices are covered by it. */
  clear(): void {
    this.pending = false;
  }

  /** Resolve on a wake-up (or one kept since the last `clear`), after `timeout` ms, or on abort. */
  async wait(timeout: number, signal: AbortSignal | undefined): Promise<void> {
    await this.subscribed;
    if (signal?.aborted) return;
    if (this.pending) {
      this.pending = false;
      return;
    }
    const parked = new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
    const onAbort = () => this.interrupt();
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => this.interrupt(), timeout);
    try {
      await parked;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** End the current wait, if any. */
  interrupt(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  close(): void {
    this.interrupt();
    this.owner.forget(this);
  }
}
