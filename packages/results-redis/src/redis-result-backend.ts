import type { Loaded, ResultBackendOptions } from "@taskq/core";
import { lazyLogger, Missing, optionChecks, ResultBackend, validateOptions } from "@taskq/core";
import {
  BlockingClients,
  connectionOptionChecks,
  createClient,
  DEFAULT_CONNECTION_TIMEOUT,
  execAll,
  ioredisOptions,
  RedisConnection,
} from "@taskq/redis-common";
import type { Cluster, Redis, RedisOptions } from "ioredis";

/** The options RedisResultBackend itself reads (the rest go to ioredis). */
export interface RedisResultBackendOwnOptions extends ResultBackendOptions {
  /** `redis://[:password@]host:port/db`; other connection options refine it. */
  url?: string;
  /** An ioredis client to use (left open by `close()`), e.g. the broker's. */
  client?: Redis | Cluster;
  /**
   * How long an operation waits for a (re)connection before it fails with a
   * ConnectionError naming the address, ms. Default 10 000 (as the brokers').
   */
  connectionTimeout?: number;
}

/** Options of `new RedisResultBackend()`: its own, plus any ioredis option. */
export type RedisResultBackendOptions = RedisResultBackendOwnOptions &
  Omit<RedisOptions, keyof RedisResultBackendOwnOptions>;

const CHECKS = {
  ...connectionOptionChecks,
  encoder: optionChecks.object,
};
const OWN = Object.keys(CHECKS);

/**
 * Results in Redis, as Dramatiq stores them: each under its md5 key, as a list of one
 * encoded value with a TTL, so a Python client reads them and vice versa. A blocking get
 * waits on the server (a blocking move of the list onto itself), not by polling.
 */
export class RedisResultBackend extends ResultBackend {
  /** The ioredis client in use (yours when you passed `client`). */
  readonly client: Redis | Cluster;
  /** How long an operation waits for a (re)connection before it fails, ms. */
  readonly connectionTimeout: number;
  private readonly connection: RedisConnection<Redis | Cluster>;
  private readonly blocking: BlockingClients;

  constructor(given: RedisResultBackendOptions = {}) {
    validateOptions("RedisResultBackend", given, CHECKS);
    // Own properties only, as validated: nothing is taken from a prototype.
    const options: RedisResultBackendOptions = { ...given };
    const connection = ioredisOptions("RedisResultBackend", options, OWN);
    super({ namespace: options.namespace, encoder: options.encoder });
    this.connectionTimeout = options.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT;
    this.client = options.client ?? createClient("RedisResultBackend", options.url, connection);
    this.connection = new RedisConnection({
      client: this.client,
      owned: options.client === undefined,
      connectionTimeout: this.connectionTimeout,
      what: "result backend",
      log: lazyLogger("taskq.RedisResultBackend"),
    });
    this.blocking = new BlockingClients(this.connection);
  }

  protected async load(key: string): Promise<Loaded> {
    const data = await this.connection.run("read a result", (client) => client.lindex(key, 0), {
      idempotent: true,
    });
    return data === null ? Missing : this.decode(data);
  }

  /** One round trip: replace the list's only value and set its TTL. */
  protected async store(key: string, value: unknown, ttl: number): Promise<void> {
    const data = this.encoder.encodeText
      ? this.encoder.encodeText(value)
      : Buffer.from(this.encode(value));
    await this.connection.run(
      "store a result",
      (client) =>
        execAll(
          client
            .multi()
            .del(key)
            .lpush(key, data)
            .pexpire(key, Math.max(1, Math.round(ttl))),
        ),
      // Storing the same value twice leaves the same list.
      { idempotent: true },
    );
  }

  protected override async waitFor(key: string, timeout: number): Promise<Loaded> {
    const end = Date.now() + timeout;
    const data = await this.blocking.with("wait for a result", (client) =>
      // Redis takes fractional seconds: sub-second timeouts are honoured.
      client.blmove(key, key, "RIGHT", "LEFT", Math.max(0.001, (end - Date.now()) / 1000)),
    );
    return data === null ? Missing : this.decode(data);
  }

  /** Close the connections this backend opened. */
  async close(): Promise<void> {
    this.blocking.close();
    this.connection.close();
  }
}
