import type { Logger } from "@taskq/core";
import type { RedisConnection } from "@taskq/redis-common";
import type { Keys } from "./keys.js";
import type { ScriptClient } from "./scripts.js";

export interface MaintenanceOptions {
  heartbeatTimeout: number;
  deadMessageTtl: number;
  /** Fetches out of a million that also run maintenance. */
  chance: number;
  /** The queues (and delay queues) this broker knows. */
  queues: () => string[];
}

/** Dead letters dropped per Lua call: each call stays short, a run loops until done. */
export const EXPIRE_BATCH = 1000;

/**
 * Gives back the unacked messages of workers whose heartbeat is older than
 * `heartbeatTimeout`, and drops every dead letter older than `deadMessageTtl`, in bounded
 * batches. One run at a time.
 */
export class Maintenance {
  private readonly connection: RedisConnection<ScriptClient>;
  private readonly keys: Keys;
  private readonly log: Logger;
  private readonly options: MaintenanceOptions;
  private running: Promise<void> | undefined;

  constructor(
    connection: RedisConnection<ScriptClient>,
    keys: Keys,
    log: Logger,
    options: MaintenanceOptions,
  ) {
    this.connection = connection;
    this.keys = keys;
    this.log = log;
    this.options = options;
  }

  /** Run by chance, on the fetch path, as Dramatiq does. */
  maybeRun(): void {
    const { chance } = this.options;
    if (chance > 0 && Math.random() * 1_000_000 < chance) this.run().catch(() => {});
  }

  /** Run now (joins a run under way). */
  run(): Promise<void> {
    this.running ??= this.once().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async once(): Promise<void> {
    try {
      const returned = await this.giveBack();
      if (returned > 0) this.log.warn(`Gave back ${returned} message(s) held by dead workers.`);
      const expired = await this.expire();
      if (expired > 0) this.log.info(`Dropped ${expired} expired dead letter(s).`);
    } catch (err) {
      this.log.warn({ err }, "Maintenance failed; it runs again on the next heartbeat.");
      throw err;
    }
  }

  /**
   * For each worker whose heartbeat is too old: every queue it registered (or, for a worker
   * without a registry such as a Dramatiq process, every queue this broker knows) gets one
   * give-back script call with that queue's keys, so no script builds a key name and, in
   * cluster mode, each call runs on the node owning the queue. A run cut short is simply
   * done again: a given-back acks set is gone, and the worker is struck off only at the end.
   */
  private async giveBack(): Promise<number> {
    const { heartbeatTimeout, deadMessageTtl, queues } = this.options;
    const k = this.keys;
    const now = Date.now();
    const dead = await this.connection.run(
      "give back the messages of dead workers",
      (client) => client.zrangebyscore(k.heartbeats, 0, now - heartbeatTimeout, "WITHSCORES"),
      { idempotent: true },
    );
    let returned = 0;
    for (let i = 0; i < dead.length; i += 2) {
      const worker = dead[i]!;
      const lastSeen = Number(dead[i + 1]);
      if (worker === k.brokerId) continue;
      const registry = k.registryOf(worker);
      const registered = await this.connection.run(
        "read a dead worker's queues",
        (client) => client.smembers(registry),
        { idempotent: true },
      );
      for (const q of new Set([...registered, ...queues()])) {
        returned += await this.connection.run(
          `give back the messages a dead worker held on ${q}`,
          (client) => client.taskqGiveBack(k.acks(q, worker), k.messages(q), k.queue(q), k.wake(q)),
          // Gives back only what is still in the acks set: a second run does nothing.
          { idempotent: true },
        );
      }
      if (registered.length > 0) {
        // Separate commands: in cluster mode the two keys are in different slots.
        await this.connection.run("strike off a dead worker", async (client) => {
          await client.del(registry);
          await client.zrem(k.heartbeats, worker);
        });
      } else if (lastSeen < now - deadMessageTtl) {
        await this.connection.run("strike off a dead worker", (client) =>
          client.zrem(k.heartbeats, worker),
        );
      }
    }
    return returned;
  }

  private async expire(): Promise<number> {
    const cutoff = Date.now() - this.options.deadMessageTtl;
    const k = this.keys;
    let expired = 0;
    // A delay queue's dead letters are its queue's.
    for (const q of this.options.queues().filter((name) => !name.endsWith(".DQ"))) {
      for (;;) {
        const dropped = await this.connection.run(`expire the dead letters of ${q}`, (client) =>
          client.taskqExpireDead(k.dead(q), k.deadMessages(q), cutoff, EXPIRE_BATCH),
        );
        expired += dropped;
        if (dropped < EXPIRE_BATCH) break;
      }
    }
    return expired;
  }
}
