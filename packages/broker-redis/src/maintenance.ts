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

  private giveBack(): Promise<number> {
    const { heartbeatTimeout, deadMessageTtl, queues } = this.options;
    const k = this.keys;
    return this.connection.run("give back the messages of dead workers", (client) =>
      client.taskqMaintenance(
        k.heartbeats,
        k.namespace,
        Date.now(),
        heartbeatTimeout,
        deadMessageTtl,
        k.brokerId,
        ...queues(),
      ),
    );
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
