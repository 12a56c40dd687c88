import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connectionError, InvalidArgument, optionChecks, validateOptions } from "@taskq/core";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import type {
  CompareAndSetResult,
  ScheduleFields,
  ScheduleStore,
  StoredSchedule,
} from "./store.js";

/** Options of `new RedisScheduleStore()`. */
export interface RedisScheduleStoreOptions {
  /** `redis://[:password@]host:port/db`; defaults to ioredis's default (127.0.0.1:6379). */
  url?: string;
  /**
   * An ioredis client to use (left open by `close()`), e.g. the broker's. With an ioredis
   * `Cluster`, the keys carry the namespace as hash tag (`{<namespace>}:__schedules__.<name>`).
   */
  client?: Redis | Cluster;
  /** Prefix of every key; default `"taskq"` (keys are `<namespace>:__schedules__.<name>`). */
  namespace?: string;
  /** How long to wait for a connection, in ms (ioredis's `connectTimeout`); default 10 s. */
  connectionTimeout?: number;
}

const CHECKS = {
  url: optionChecks.nonEmptyString,
  client: (v: unknown) =>
    typeof v === "object" && v !== null && typeof (v as Redis).defineCommand === "function"
      ? undefined
      : "an ioredis client",
  namespace: optionChecks.nonEmptyString,
  connectionTimeout: optionChecks.positiveNumber,
};

type CasClient = (Redis | Cluster) & {
  taskqScheduleCas(key: string, expect: string, set: string): Promise<[number, string[]]>;
};

let casSource: string | undefined;

/** ioredis only when a store opens its own connection: it is an optional peer dependency. */
function loadIoredis(): typeof import("ioredis") {
  try {
    return createRequire(import.meta.url)("ioredis") as typeof import("ioredis");
  } catch (err) {
    throw new InvalidArgument(
      "RedisScheduleStore needs the ioredis package to connect by url: npm install ioredis (or pass an ioredis client as client)",
      { cause: err },
    );
  }
}

function toState(flat: string[]): StoredSchedule | undefined {
  if (flat.length === 0) return undefined;
  const state: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) state[flat[i]!] = flat[i + 1]!;
  return state as StoredSchedule;
}

/**
 * Schedules in Redis: one hash per schedule with its grid, next and last run and the claim
 * on ticks being sent, changed only by an atomic compare-and-set script, so any number of
 * scheduler processes send each tick once. Separate from the broker: works with RabbitMQ too.
 */
export class RedisScheduleStore implements ScheduleStore {
  /** The ioredis client in use (yours when you passed `client`). */
  readonly client: Redis | Cluster;
  /** Prefix of every key. */
  readonly namespace: string;
  private readonly ownsClient: boolean;
  private everReady = false;

  constructor(options: RedisScheduleStoreOptions = {}) {
    validateOptions("RedisScheduleStore", options, CHECKS);
    if (options.client !== undefined && options.url !== undefined) {
      throw new InvalidArgument("RedisScheduleStore takes either url or client, not both");
    }
    this.namespace = options.namespace ?? "taskq";
    this.ownsClient = options.client === undefined;
    if (options.client !== undefined) {
      this.client = options.client;
    } else {
      const { Redis: RedisClient } = loadIoredis();
      // Fail a command soon when the server is down: the scheduler retries on its own.
      const connection: RedisOptions = {
        connectTimeout: options.connectionTimeout ?? 10_000,
        maxRetriesPerRequest: 2,
      };
      this.client =
        options.url === undefined
          ? new RedisClient(connection)
          : new RedisClient(options.url, connection);
      // Failures reach callers as errors naming the server; no unhandled-error noise.
      this.client.on("error", () => {});
    }
    if (this.client.status === "ready") this.everReady = true;
    this.client.on("ready", () => {
      this.everReady = true;
    });
    if (typeof (this.client as unknown as Partial<CasClient>).taskqScheduleCas !== "function") {
      casSource ??= readFileSync(new URL("./lua/compare-and-set.lua", import.meta.url), "utf8");
      this.client.defineCommand("taskqScheduleCas", { numberOfKeys: 1, lua: casSource });
    }
  }

  /** The key of a schedule's hash. */
  key(name: string): string {
    // On a Cluster the namespace is the hash tag, as for the state and cancel keys.
    return this.client.isCluster
      ? `{${this.namespace}}:__schedules__.${name}`
      : `${this.namespace}:__schedules__.${name}`;
  }

  private failed(err: unknown, doing: string): Error {
    let where = "a Redis Cluster";
    if (!this.client.isCluster) {
      const o = (this.client as Redis).options;
      where = o.path ? `unix:${o.path}` : `${o.host ?? "127.0.0.1"}:${o.port ?? 6379}`;
    }
    return connectionError("Redis", where, doing, err, this.everReady);
  }

  async get(name: string): Promise<StoredSchedule | undefined> {
    let flat: Record<string, string>;
    try {
      flat = await this.client.hgetall(this.key(name));
    } catch (err) {
      throw this.failed(err, `read schedule ${JSON.stringify(name)}`);
    }
    return Object.keys(flat).length === 0 ? undefined : (flat as StoredSchedule);
  }

  async compareAndSet(
    name: string,
    expect: ScheduleFields,
    set: ScheduleFields,
  ): Promise<CompareAndSetResult> {
    let reply: [number, string[]];
    try {
      reply = await (this.client as CasClient).taskqScheduleCas(
        this.key(name),
        JSON.stringify(expect),
        JSON.stringify(set),
      );
    } catch (err) {
      throw this.failed(err, `update schedule ${JSON.stringify(name)}`);
    }
    return { ok: reply[0] === 1, state: toState(reply[1]) };
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.del(this.key(name));
    } catch (err) {
      throw this.failed(err, `delete schedule ${JSON.stringify(name)}`);
    }
  }

  /** Close the connection this store opened (a client passed in stays open). */
  async close(): Promise<void> {
    if (this.ownsClient) this.client.disconnect();
  }
}
