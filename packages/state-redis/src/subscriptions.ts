import type { StateWatch } from "@taskq/core";
import { type AnyRedis, duplicateClient, type RedisConnection } from "@taskq/redis-common";

/**
 * Watches on the change channel, which every write tells its new statuses (`id status`
 * lines): one subscriber connection, opened on first use, subscribed while someone watches. A
 * watch is returned only once the subscription is in place, so no change published after
 * that is missed.
 */
export class Subscriptions {
  private readonly connection: RedisConnection<AnyRedis>;
  private readonly channel: string;
  private subscriber: AnyRedis | undefined;
  private ready: Promise<unknown> | undefined;
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(connection: RedisConnection<AnyRedis>, channel: string) {
    this.connection = connection;
    this.channel = channel;
  }

  private open(): Promise<unknown> {
    if (this.ready !== undefined) return this.ready;
    if (this.subscriber === undefined) {
      const subscriber = duplicateClient(this.connection.client);
      // Failures reach the caller as rejected calls; ioredis need not print them too.
      subscriber.on("error", () => {});
      subscriber.on("message", (_channel: string, data: string) => this.deliver(data));
      this.subscriber = subscriber;
    }
    const subscriber = this.subscriber;
    this.ready = subscriber.subscribe(this.channel).catch((err: unknown) => {
      this.ready = undefined;
      throw this.connection.error(err, "subscribe to state changes");
    });
    return this.ready;
  }

  private deliver(data: string): void {
    for (const line of data.split("\n")) {
      const id = line.slice(0, line.lastIndexOf(" "));
      for (const listener of this.listeners.get(id) ?? []) listener();
    }
  }

  async watch(messageId: string): Promise<StateWatch> {
    let changed = false;
    let wake: (() => void) | undefined;
    const listener = () => {
      changed = true;
      wake?.();
    };
    let set = this.listeners.get(messageId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(messageId, set);
    }
    set.add(listener);
    const release = () => {
      const current = this.listeners.get(messageId);
      current?.delete(listener);
      if (current?.size === 0) this.listeners.delete(messageId);
      if (this.listeners.size === 0) this.idle();
    };
    try {
      await this.open();
    } catch (err) {
      release();
      throw err;
    }
    return {
      next(timeout) {
        if (changed) {
          changed = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const timer = setTimeout(done, timeout);
          wake = done;
          function done() {
            clearTimeout(timer);
            wake = undefined;
            changed = false;
            resolve();
          }
        });
      },
      close() {
        wake?.();
        release();
      },
    };
  }

  /** Nobody watches: stop receiving every write's notice (the connection stays for the next). */
  private idle(): void {
    if (this.ready === undefined) return;
    this.ready = undefined;
    this.subscriber?.unsubscribe(this.channel).catch(() => {});
  }

  close(): void {
    this.listeners.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    this.ready = undefined;
  }
}
