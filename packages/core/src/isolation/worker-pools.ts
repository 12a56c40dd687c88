/**
 * The isolation pools of one worker: one per kind ("thread", "process") that its broker's
 * actors use, started at worker boot so a missing or failing actor module is an error there.
 */
import type { Actor } from "../actor.js";
import type { Broker } from "../broker.js";
import { IsolationError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Isolation } from "../options.js";
import type { IsolatedCall } from "./pool.js";
import { IsolationPool } from "./pool.js";

export class WorkerPools {
  private readonly pools = new Map<Isolation, IsolationPool>();
  private readonly size: number;
  private readonly preload: string[];
  private readonly log: Logger;

  constructor(size: number, preload: readonly string[], log: Logger) {
    this.size = size;
    this.preload = [...preload];
    this.log = log;
  }

  /** Start a pool for each kind the broker's isolated actors use; rejects with an IsolationError. */
  async start(broker: Broker): Promise<void> {
    const byKind = new Map<Isolation, Actor[]>();
    for (const name of broker.getDeclaredActors()) {
      const actor = broker.findActor(name);
      const kind = actor?.options.isolation;
      if (actor === undefined || kind === undefined) continue;
      const list = byKind.get(kind);
      if (list) list.push(actor);
      else byKind.set(kind, [actor]);
    }
    try {
      for (const [kind, actors] of byKind) {
        const modules = [...new Set(actors.map((a) => a.options.actorModule as string))];
        const pool = new IsolationPool({
          kind,
          size: this.size,
          modules,
          preload: this.preload,
          log: this.log,
        });
        const found = await pool.start();
        this.pools.set(kind, pool);
        const missing = actors.filter((a) => !found.has(a.actorName));
        if (missing.length > 0) {
          const names = missing.map((a) => `${a.actorName} (${a.options.actorModule})`).join(", ");
          throw new IsolationError(
            `Isolated actor(s) not declared when their module was imported in a pool ${kind}: ${names}`,
          );
        }
        this.log.info(`Started ${this.size} isolation ${kind}(s) for ${actors.length} actor(s).`);
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Run an isolated actor's message in its pool. */
  run(actor: Actor, message: string, onProgress: (value: unknown) => Promise<void>): IsolatedCall {
    const kind = actor.options.isolation as Isolation;
    const pool = this.pools.get(kind);
    if (pool === undefined) {
      const error = new IsolationError(
        `Actor ${actor.actorName} was declared after its worker started: no isolation ${kind} pool holds it`,
      );
      return { promise: Promise.reject(error), terminate: () => {} };
    }
    return pool.run(actor.actorName, message, onProgress);
  }

  /** Kill every pool member. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}
