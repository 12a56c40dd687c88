import { readFileSync } from "node:fs";
import { lazyLogger, RateLimiterBackend, validateOptions } from "@taskq/core";
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

/** The options RedisRateLimiterBackend itself reads (the rest go to ioredis). */
export interface RedisRateLimiterBackendOwnOptions {
  /** `redis://[:password@]host:port/db`; other connection options refine it. */
  url?: string;
  /**
   * An ioredis client to use (left open by `close()`), e.g. the broker's. With an ioredis
   * `Cluster`, the keys carry the namespace's hash tag (`{ns}:key`), so each call is on one node.
   */
  client?: Redis | Cluster;
  /** Prefix of every key. Default `taskq-ratelimits`. */
  namespace?: string;
  /**
   * How long an operation waits for a (re)connection before it fails with a
   * ConnectionError naming the address, ms. Default 10 000 (as the brokers').
   */
  connectionTimeout?: number;
}

/** Options of `new RedisRateLimiterBackend()`: its own, plus any ioredis option. */
export type RedisRateLimiterBackendOptions = RedisRateLimiterBackendOwnOptions &
  Omit<RedisOptions, keyof RedisRateLimiterBackendOwnOptions>;

const OWN = Object.keys(connectionOptionChecks);

type Scripted = (Redis | Cluster) & {
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
  /** The ioredis client in use (yours when you passed `client`). */
  readonly client: Redis | Cluster;
  /** Prefix of every key. */
  readonly namespace: string;
  /** How long an operation waits for a (re)connection before it fails, ms. */
  readonly connectionTimeout: number;
  private readonly connection: RedisConnection<Scripted>;
  private readonly blocking: BlockingClients;

  constructor(given: RedisRateLimiterBackendOptions = {}) {
    validateOptions("RedisRateLimiterBackend", given, connectionOptionChecks);
    // Own properties only, as validated: nothing is taken from a prototype.
    const options: RedisRateLimiterBackendOptions = { ...given };
    const connection = ioredisOptions("RedisRateLimiterBackend", options, OWN);
    super();
    this.namespace = options.namespace ?? "taskq-ratelimits";
    this.connectionTimeout = options.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT;
    this.client =
      options.client ?? createClient("RedisRateLimiterBackend", options.url, connection);
    const scripted = this.client as Scripted;
    if (typeof scripted.taskqRlIncr !== "function") {
      this.client.defineCommand("taskqRlIncr", { numberOfKeys: 1, lua: lua("incr") });
      this.client.defineCommand("taskqRlDecr", { numberOfKeys: 1, lua: lua("decr") });
      this.client.defineCommand("taskqRlIncrAndSum", { lua: lua("incr-and-sum") });
    }
    this.connection = new RedisConnection({
      client: scripted,
      owned: options.client === undefined,
      connectionTimeout: this.connectionTimeout,
      what: "rate limiter",
      log: lazyLogger("taskq.RedisRateLimiterBackend"),
    });
    this.blocking = new BlockingClients(this.connection);
  }

  /**
   * The Redis key of a limiter key. On a Cluster every key carries the namespace as its hash
   * tag (`{ns}:key`): `incrAndSum` may combine any keys, and one slot keeps every call on one
   * node. Limiters in different namespaces land on different nodes.
   */
  private key(key: string): string {
    return this.client.isCluster ? `{${this.namespace}}:${key}` : `${this.namespace}:${key}`;
  }

  async add(key: string, value: number, ttl: number): Promise<boolean> {
    const reply = await this.connection.run("add a rate limit key", (client) =>
      client.set(this.key(key), value, "PX", ttl, "NX"),
    );
    return reply === "OK";
  }

  async incr(key: string, amount: number, maximum: number, ttl: number): Promise<boolean> {
    return (
      (await this.connection.run("increment a rate limit key", (client) =>
        client.taskqRlIncr(this.key(key), amount, maximum, ttl),
      )) === 1
    );
  }

  async decr(key: string, amount: number, minimum: number, ttl: number): Promise<boolean> {
    return (
      (await this.connection.run("decrement a rate limit key", (client) =>
        client.taskqRlDecr(this.key(key), amount, minimum, ttl),
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
      (await this.connection.run("increment a rate limit window", (client) =>
        client.taskqRlIncrAndSum(all.length, ...all, amount, maximum, ttl),
      )) === 1
    );
  }

  /** Blocks on the server until notified (the notice stays for its TTL) or `timeout` ms pass. */
  async wait(key: string, timeout: number): Promise<boolean> {
    const k = this.key(key);
    const end = Date.now() + timeout;
    const moved = await this.blocking.with("wait on a rate limit key", (client) =>
      client.blmove(k, k, "RIGHT", "LEFT", Math.max(0.001, (end - Date.now()) / 1000)),
    );
    return moved !== null;
  }

  async waitNotify(key: string, ttl: number): Promise<void> {
    const k = this.key(key);
    await this.connection.run("notify a rate limit key", (client) =>
      execAll(client.multi().rpush(k, "x").pexpire(k, ttl)),
    );
  }

  /** Close the connections this backend opened. */
  async close(): Promise<void> {
    this.blocking.close();
    this.connection.close();
  }
}
