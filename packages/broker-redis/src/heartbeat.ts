import type { RedisConnection } from "@taskq/redis-common";
import { execAll } from "@taskq/redis-common";
import type { Keys } from "./keys.js";

/**
 * This worker's heartbeat: a timer of its own (whatever the queues do) that records the time
 * in the heartbeats zset, then runs `afterBeat` (maintenance).
 */
export class Heartbeat {
  private readonly connection: RedisConnection;
  private readonly keys: Keys;
  private readonly interval: number;
  private readonly afterBeat: () => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(connection: RedisConnection, keys: Keys, interval: number, afterBeat: () => void) {
    this.connection = connection;
    this.keys = keys;
    this.interval = interval;
    this.afterBeat = afterBeat;
  }

  /** Beat now and every interval from now on (once started, later calls do nothing). */
  start(): void {
    if (this.timer !== undefined) return;
    void this.beat();
    this.timer = setInterval(() => {
      void this.beat().then(this.afterBeat);
    }, this.interval);
    this.timer.unref();
  }

  /** Tell other workers this one is alive. */
  async beat(): Promise<void> {
    try {
      // Waits for the connection no longer than until the next beat: beats never pile up.
      await this.connection.run(
        "record a heartbeat",
        (client) => client.zadd(this.keys.heartbeats, Date.now(), this.keys.brokerId),
        { timeout: this.interval },
      );
    } catch {
      // The connection reports outages; the next tick (or the reconnect) beats again.
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Strike this worker off the heartbeats, with its registry of queues (on a clean close). */
  async strikeOff(): Promise<void> {
    await execAll(
      this.connection.client
        .pipeline()
        .zrem(this.keys.heartbeats, this.keys.brokerId)
        .del(this.keys.registry),
    );
  }
}
