import type { Loaded, ResultBackendOptions } from "@taskq/core";
import { connectionError, Missing, ResultBackend } from "@taskq/core";
import type { RedisOptions } from "ioredis";
import { Redis } from "ioredis";
import { BlockingClients } from "./blocking-clients.js";

export interface RedisResultBackendOwnOptions extends ResultBackendOptions {
  /** `redis://[:password@]host:port/db`; other connection options refine it. */
  url?: string;
  /** An ioredis client to use (left open by `close()`), e.g. the broker's. */
  client?: Redis;
}

export type RedisResultBackendOptions = RedisResultBackendOwnOptions &
  Omit<RedisOptions, keyof RedisResultBackendOwnOptions>;

const OWN = new Set(["url", "client", "namespace", "encoder"]);

/**
 * Results in Redis, as Dramatiq stores them: each under its md5 key, as a list of one
 * encoded value with a TTL, so a Python client reads them and vice versa. A blocking get
 * waits on the server (a blocking move of the list onto itself), not by polling.
 */
export class RedisResultBackend extends ResultBackend {
  readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly blocking: BlockingClients;
  private everReady = false;

  constructor(options: RedisResultBackendOptions = {}) {
    super({ namespace: options.namespace, encoder: options.encoder });
    const connection: Record<string, unknown> = {};
    for (const key of Object.keys(options))
      if (!OWN.has(key)) connection[key] = (options as Record<string, unknown>)[key];
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      (options.url === undefined
        ? new Redis(connection as RedisOptions)
        : new Redis(options.url, connection as RedisOptions));
    if (this.client.status === "ready") this.everReady = true;
    this.client.on("ready", () => {
      this.everReady = true;
    });
    if (this.ownsClient) this.client.on("error", () => {});
    this.blocking = new BlockingClients(this.client);
  }

  private failed(err: unknown, doing: string): Error {
    const o = this.client.options;
    const where = o.path ? `unix:${o.path}` : `${o.host}:${o.port}`;
    return connectionError("Redis", where, doing, err, this.everReady);
  }

  protected async load(key: string): Promise<Loaded> {
    let data: string | null;
    try {
      data = await this.client.lindex(key, 0);
    } catch (err) {
      throw this.failed(err, "read a result");
    }
    return data === null ? Missing : this.decode(data);
  }

  /** One round trip: replace the list's only value and set its TTL. */
  protected async store(key: string, value: unknown, ttl: number): Promise<void> {
    const data = this.encoder.encodeText
      ? this.encoder.encodeText(value)
      : Buffer.from(this.encode(value));
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await this.client
        .multi()
        .del(key)
        .lpush(key, data)
        .pexpire(key, Math.max(1, Math.round(ttl)))
        .exec();
    } catch (err) {
      throw this.failed(err, "store a result");
    }
    const error = replies?.find(([err]) => err !== null)?.[0];
    if (error) throw this.failed(error, "store a result");
  }

  protected override waitFor(key: string, timeout: number): Promise<Loaded> {
    // Redis takes fractional seconds: sub-second timeouts are honoured.
    const seconds = Math.max(0.001, timeout / 1000);
    return this.blocking.with(async (client) => {
      let data: string | null;
      try {
        data = await client.blmove(key, key, "RIGHT", "LEFT", seconds);
      } catch (err) {
        throw this.failed(err, "wait for a result");
      }
      return data === null ? Missing : this.decode(data);
    });
  }

  /** Close the connections this backend opened. */
  async close(): Promise<void> {
    this.blocking.close();
    if (this.ownsClient) this.client.disconnect();
  }
}
