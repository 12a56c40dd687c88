import { type AnyRedis, duplicateClient, RedisConnection } from "./connection.js";

/**
 * Connections for blocking commands: a blocked connection serves nobody else, so each
 * concurrent wait borrows its own duplicate of the main client. Idle ones are kept for reuse.
 */
export class BlockingClients {
  private readonly source: RedisConnection<AnyRedis>;
  private readonly idle: RedisConnection<AnyRedis>[] = [];
  private readonly all = new Set<RedisConnection<AnyRedis>>();
  private readonly keepIdle: number;

  constructor(source: RedisConnection<AnyRedis>, keepIdle = 4) {
    this.source = source;
    this.keepIdle = keepIdle;
  }

  /**
   * Run a blocking read on a connection of its own, waiting for it to be ready as
   * `RedisConnection.run` does; it runs again after a connection loss, so `command` should
   * compute its blocking timeout from a deadline of its own.
   */
  async with<T>(doing: string, command: (client: AnyRedis) => Promise<T>): Promise<T> {
    let connection = this.idle.pop();
    if (connection === undefined) {
      connection = new RedisConnection({
        client: duplicateClient(this.source.client),
        owned: true,
        connectionTimeout: this.source.connectionTimeout,
        what: "blocking",
        // Outages are reported once, by the main connection.
        log: { debug() {}, info() {}, warn() {}, error() {} },
        parent: this.source,
      });
      this.all.add(connection);
    }
    try {
      return await connection.run(doing, command, { idempotent: true });
    } finally {
      if (this.idle.length < this.keepIdle && connection.ready) this.idle.push(connection);
      else {
        this.all.delete(connection);
        connection.close();
      }
    }
  }

  close(): void {
    for (const connection of this.all) connection.close();
    this.all.clear();
    this.idle.length = 0;
  }
}
