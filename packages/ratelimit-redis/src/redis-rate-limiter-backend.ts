import { readFileSync } from "node:fs";
import { connectionError, RateLimiterBackend } from "@taskq/core";
import type { RedisOptions } from "ioredis";
import { Redis } from "ioredis";
import { BlockingClients } from "./blocking-clients.js";

export interface RedisRateLimiterBackendOwnOptions {
  /** `redis://[:password@]host:port/db`; other connection options refine it. */
  url?: string;
  /** An ioredis client to use (left open by `close()`), e.g. the broker's. */
  client?: Redis;
  /** Prefix of every key. Default `taskq-ratelimits`. */
  namespace?: string;
}

export type RedisRateLimiterBackendOptions = RedisRateLimiterBackendOwnOptions &
  Omit<RedisOptions, keyof RedisRateLimiterBackendOwnOptions>;

const OWN = new Set(["url", "client", "namespace"]);

type Scripted = Redis & {
  taskqRlIncr(key: string, amount: number, maximum: number, ttl: number): Promise<number>;
  taskqRlDecr(key: string, amount: number, minimum: number, ttl: number): Promise<number>;
  taskqRlIncrAndSum(numberOfKeys: number, ...args: (string | number)[]): Promise<number>;
};

function lua(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), "utf8");
}

/**
 * Rate limiter state in Redis. Each primitive is one atomic call (a Lua script, or SET NX);
 * a refused increment writes nothing. `wait` blocks on the server, so every party of a
 * Barrier wakes on the same notice.
 */
export class RedisRateLimiterBackend extends RateLimiterBackend {
  readonly client: Redis;
  readonly namespace: string;
  private readonly scripted: Scripted;
  private readonly ownsClient: boolean;
  private readonly blocking: BlockingClients;
  private everReady = false;

  constructor(options: RedisRateLimiterBackendOptions = {}) {
    super();
    this.namespace = options.namespace ?? "taskq-ratelimits";
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
    const scripted = this.client as Scripted;
    if (typeof scripted.taskqRlIncr !== "function") {
      this.client.defineCommand("taskqRlIncr", { numberOfKeys: 1, lua: lua("incr") });
      this.client.defineCommand("taskqRlDecr", { numberOfKeys: 1, lua: lua("decr") });
      this.client.defineCommand("taskqRlIncrAndSum", { lua: lua("incr-and-sum") });
    }
    this.scripted = scripted;
    this.blocking = new BlockingClients(this.client);
  }

  private key(key: string): string {
    return `${this.namespace}:${key}`;
  }

  private async call<T>(doing: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const o = this.client.options;
      const where = o.path ? `unix:${o.path}` : `${o.host}:${o.port}`;
      throw connectionError("Redis", where, doing, err, this.everReady);
    }
  }

  async add(key: string, value: number, ttl: number): Promise<boolean> {
    const reply = await this.call("add a rate limit key", () =>
      this.client.set(this.key(key), value, "PX", ttl, "NX"),
    );
    return reply === "OK";
  }

  async incr(key: string, amount: number, maximum: number, ttl: number): Promise<boolean> {
    return (
      (await this.call("increment a rate limit key", () =>
        this.scripted.taskqRlIncr(this.key(key), amount, maximum, ttl),
      )) === 1
    );
  }

  async decr(key: string, amount: number, minimum: number, ttl: number): Promise<boolean> {
    return (
      (await this.call("decrement a rate limit key", () =>
        this.scripted.taskqRlDecr(this.key(key), amount, minimum, ttl),
      )) === 1
    );
  }

  async incrAndSum(
    key: string,
    keys: readonly string[] | (() => readonly string[]),
    amount: number,
    maximum: number,
    ttl: number,
  ): Promise<boolean> {
    const all = [
      this.key(key),
      ...(typeof keys === "function" ? keys() : keys).map((k) => this.key(k)),
    ];
    return (
      (await this.call("increment a rate limit window", () =>
        this.scripted.taskqRlIncrAndSum(all.length, ...all, amount, maximum, ttl),
      )) === 1
    );
  }

  /** Blocks on the server until notified (the notice stays for its TTL) or `timeout` ms pass. */
  wait(key: string, timeout: number): Promise<boolean> {
    const k = this.key(key);
    const seconds = Math.max(0.001, timeout / 1000);
    return this.blocking.with((client) =>
      this.call(
        "wait on a rate limit key",
        async () => (await client.blmove(k, k, "RIGHT", "LEFT", seconds)) !== null,
      ),
    );
  }

  async waitNotify(key: string, ttl: number): Promise<void> {
    const k = this.key(key);
    await this.call("notify a rate limit key", () =>
      this.client.multi().rpush(k, "x").pexpire(k, ttl).exec(),
    );
  }

  /** Close the connections this backend opened. */
  async close(): Promise<void> {
    this.blocking.close();
    if (this.ownsClient) this.client.disconnect();
  }
}
