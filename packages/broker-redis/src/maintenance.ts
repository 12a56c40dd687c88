import type { Logger } from "@taskq/core";
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

/**
 * Gives back the unacked messages of workers whose heartbeat is older than
 * `heartbeatTimeout`, and drops dead letters older than `deadMessageTtl`. One run at a time.
 */
export class Maintenance {
  private readonly client: ScriptClient;
  private readonly keys: Keys;
  private readonly log: Logger;
  private readonly options: MaintenanceOptions;
  private running: Promise<void> | undefined;

  constructor(client: ScriptClient, keys: Keys, log: Logger, options: MaintenanceOptions) {
    this.client = client;
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
    const { heartbeatTimeout, deadMessageTtl, queues } = this.options;
    try {
      const [returned, expired] = await this.client.taskqMaintenance(
        this.keys.heartbeats,
        this.keys.namespace,
        Date.now(),
        heartbeatTimeout,
        deadMessageTtl,
        this.keys.brokerId,
        ...queues(),
      );
      if (returned > 0) this.log.warn(`Gave back ${returned} message(s) held by dead workers.`);
      if (expired > 0) this.log.info(`Dropped ${expired} expired dead letter(s).`);
    } catch (err) {
      this.log.warn({ err }, "Maintenance failed; it runs again on the next heartbeat.");
      throw err;
    }
  }
}
