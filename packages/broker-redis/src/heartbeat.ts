import type { AnyRedis, RedisConnection } from "@taskq/redis-common";
import { execAll } from "@taskq/redis-common";
import type { Keys } from "./keys.js";

/**
 * This worker's heartbeat: a timer of its own (whatever the queues do) that records the time
 * in the heartbeats zset, then runs `afterBeat` (maintenance).
 */
export class Heartbeat {
  private readonly connection: RedisConnection<AnyRedis>;
  private readonly keys: Keys;
  private readonly interval: number;
  private readonly afterBeat: () => void;
  private readonly registered: () => string[];
  private timer: NodeJS.Timeout | undefined;

  /**
   * `registered`: in cluster mode, the queues this worker consumes, recorded in its registry
   * on every beat (the fetch script cannot record them: the registry is in another slot), so
   * that a registry struck off while this worker was cut off comes back with it.
   */
  constructor(
    connection: RedisConnection<AnyRedis>,
    keys: Keys,
    interval: number,
    afterBeat: () => void,
    registered: () => string[] = () => [],
  ) {
    this.connection = connection;
    this.keys = keys;
    this.interval = interval;
    this.afterBeat = afterBeat;
    this.registered = registered;
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
      const queues = this.keys.cluster ? this.registered() : [];
      if (queues.length > 0) await this.register(queues);
    } catch {
      // The connection reports outages; the next tick (or the reconnect) beats again.
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Record queues in this worker's registry (cluster mode). */
  async register(queues: string[]): Promise<void> {
    await this.connection.run(
      "record the queues this worker consumes",
      (client) => client.sadd(this.keys.registry, ...queues),
      { idempotent: true },
    );
  }

  /** Strike this worker off the heartbeats, with its registry of queues (on a clean close). */
  async strikeOff(): Promise<void> {
    if (this.keys.cluster) {
      // Two slots: two commands. The registry first: cut off between the two, what is left
      // is a heartbeat that maintenance strikes off later, not a registry nobody looks at.
      await this.connection.client.del(this.keys.registry);
      await this.connection.client.zrem(this.keys.heartbeats, this.keys.brokerId);
      return;
    }
    await execAll(
      this.connection.client
        .pipeline()
        .zrem(this.keys.heartbeats, this.keys.brokerId)
        .del(this.keys.registry),
    );
  }
}
