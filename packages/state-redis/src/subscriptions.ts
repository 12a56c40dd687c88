import type { StateWatch } from "@taskq/core";
import type { Redis } from "ioredis";
import type { Connection } from "./connection.js";

/**
 * Pub/sub watches on one subscriber connection, opened on first use: a channel is
 * subscribed while someone watches it, and a watch is returned only once the subscription
 * is in place, so no notice published after that is missed.
 */
export class Subscriptions {
  private readonly connection: Connection;
  private subscriber: Redis | undefined;
  private readonly channels = new Map<
    string,
    { listeners: Set<() => void>; ready: Promise<void> }
  >();

  constructor(connection: Connection) {
    this.connection = connection;
  }

  private open(): Redis {
    if (this.subscriber === undefined) {
      const subscriber = this.connection.duplicate();
      subscriber.on("message", (channel: string) => {
        for (const listener of this.channels.get(channel)?.listeners ?? []) listener();
      });
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }

  async watch(channel: string): Promise<StateWatch> {
    let changed = false;
    let wake: (() => void) | undefined;
    const listener = () => {
      changed = true;
      wake?.();
    };
    let entry = this.channels.get(channel);
    if (entry === undefined) {
      const ready = this.open()
        .subscribe(channel)
        .then(() => undefined);
      entry = { listeners: new Set(), ready };
      this.channels.set(channel, entry);
    }
    const subscribed = entry;
    subscribed.listeners.add(listener);
    const release = () => {
      subscribed.listeners.delete(listener);
      if (subscribed.listeners.size === 0 && this.channels.get(channel) === subscribed) {
        this.channels.delete(channel);
        this.subscriber?.unsubscribe(channel).catch(() => {});
      }
    };
    try {
      await subscribed.ready;
    } catch (err) {
      release();
      throw this.connection.failed(err, "subscribe to state changes");
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

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    this.channels.clear();
  }
}
