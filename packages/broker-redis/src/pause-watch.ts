import { type Logger, serialReader } from "@taskq/core";
import { type AnyRedis, duplicateClient, RedisConnection } from "@taskq/redis-common";
import type { Keys } from "./keys.js";

/** A missed notice (a dropped subscriber, say) heals within this many ms. */
export const PAUSE_REREAD_INTERVAL = 3000;

/**
 * Follows the fleet's paused queues: the set `ns:__paused__`, read again whenever a notice
 * comes on the channel of the same name (the normal path, well under a second), when the
 * subscriber connection comes back, and on a slow timer in case a notice was missed.
 */
export class PauseWatch {
  private readonly source: RedisConnection<AnyRedis>;
  private readonly keys: Keys;
  private readonly log: Logger;
  private readonly report: (names: string[]) => void;
  /** Read the set and report it; reads asked for during one run once more after it. */
  private readonly reader: () => void;
  private subscriber: RedisConnection<AnyRedis> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    source: RedisConnection<AnyRedis>,
    keys: Keys,
    log: Logger,
    report: (names: string[]) => void,
  ) {
    this.source = source;
    this.keys = keys;
    this.log = log;
    this.report = report;
    this.reader = serialReader(
      () =>
        this.source.run("read the paused queues", (client) => client.smembers(this.keys.paused), {
          idempotent: true,
        }),
      (names) => {
        if (this.subscriber !== undefined) this.report(names);
      },
      this.log,
      "the paused queues",
    );
  }

  start(): void {
    if (this.subscriber !== undefined) return;
    const subscriber = new RedisConnection({
      client: duplicateClient(this.source.client),
      owned: true,
      connectionTimeout: this.source.connectionTimeout,
      what: "pause notice",
      log: this.log,
      parent: this.source,
      onRestored: () => this.read(),
    });
    this.subscriber = subscriber;
    subscriber.client.on("message", (channel: string) => {
      if (channel === this.keys.paused) this.read();
    });
    void subscriber
      .run("subscribe to pause notices", (client) => client.subscribe(this.keys.paused), {
        idempotent: true,
      })
      .then(
        () => this.read(),
        (err: unknown) =>
          this.log.warn({ err }, "Could not subscribe to pause notices; reading them on a timer."),
      );
    this.read();
    this.timer = setInterval(() => this.read(), PAUSE_REREAD_INTERVAL);
    this.timer.unref();
  }

  private read(): void {
    if (this.subscriber !== undefined) this.reader();
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.subscriber?.close();
    this.subscriber = undefined;
  }
}
