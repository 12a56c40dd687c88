import type { Redis } from "ioredis";

/**
 * Connections for blocking commands: a blocked connection serves nobody else, so each
 * concurrent wait borrows its own duplicate of the main client. Idle ones are kept for reuse.
 */
export class BlockingClients {
  private readonly source: Redis;
  private readonly idle: Redis[] = [];
  private readonly all = new Set<Redis>();
  private readonly keepIdle: number;

  constructor(source: Redis, keepIdle = 4) {
    this.source = source;
    this.keepIdle = keepIdle;
  }

  async with<T>(run: (client: Redis) => Promise<T>): Promise<T> {
    let client = this.idle.pop();
    if (client === undefined) {
      client = this.source.duplicate();
      client.on("error", () => {});
      this.all.add(client);
    }
    try {
      return await run(client);
    } finally {
      if (this.idle.length < this.keepIdle && client.status === "ready") this.idle.push(client);
      else {
        this.all.delete(client);
        client.disconnect();
      }
    }
  }

  close(): void {
    for (const client of this.all) client.disconnect();
    this.all.clear();
    this.idle.length = 0;
  }
}
