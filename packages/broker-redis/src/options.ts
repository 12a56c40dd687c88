import type { BrokerOptions, OptionCheck } from "@taskq/core";
import { optionChecks, validateOptions } from "@taskq/core";
import {
  connectionOptionChecks,
  DEFAULT_CONNECTION_TIMEOUT,
  ioredisOptions,
} from "@taskq/redis-common";
import type { Redis, RedisOptions } from "ioredis";

/** The options RedisBroker itself reads (the rest go to ioredis). */
export interface RedisBrokerOwnOptions {
  /** `redis://[:password@]host:port/db`; other connection options refine it. */
  url?: string;
  /** An ioredis client to use (left open by `close()`) instead of creating one. */
  client?: Redis;
  /**
   * How long an operation waits for a (re)connection before it fails with a
   * ConnectionError naming the address, ms. Default 10 000 (as RabbitmqBroker's).
   */
  connectionTimeout?: number;
  /** Prefix of every key. Default `taskq` (Dramatiq's is `dramatiq`: use it to share queues). */
  namespace?: string;
  /** A worker whose heartbeat is older than this many ms is dead; its messages are given back. Default 60 000. */
  heartbeatTimeout?: number;
  /** How long dead letters are kept, ms. Default 7 days. */
  deadMessageTtl?: number;
  /** Fetches out of a million that also run maintenance (it also runs on every heartbeat). Default 1000. */
  maintenanceChance?: number;
}

/**
 * Options of `new RedisBroker()`: the broker's own, the middleware list, and any ioredis option.
 */
export type RedisBrokerOptions = BrokerOptions &
  RedisBrokerOwnOptions &
  Omit<RedisOptions, keyof RedisBrokerOwnOptions>;

/** The broker's own options, with defaults applied. */
export interface ResolvedOptions {
  namespace: string;
  heartbeatTimeout: number;
  deadMessageTtl: number;
  maintenanceChance: number;
  connectionTimeout: number;
  /** The options that are not the broker's: ioredis's, for a client the broker creates. */
  connection: RedisOptions;
  url: string | undefined;
  client: Redis | undefined;
  middleware: BrokerOptions["middleware"];
}

const CHECKS = {
  ...connectionOptionChecks,
  heartbeatTimeout: optionChecks.positiveNumber,
  deadMessageTtl: optionChecks.positiveNumber,
  maintenanceChance: (v: unknown) =>
    typeof v === "number" && v >= 0 && v <= 1_000_000 ? undefined : "a number from 0 to 1 000 000",
  middleware: optionChecks.arrayOf(optionChecks.object, "an array of middleware"),
} satisfies Record<string, OptionCheck>;

const OWN = Object.keys(CHECKS);

/** Check the options (an InvalidArgument names the first that does not fit) and apply the defaults. */
export function resolveOptions(given: RedisBrokerOptions): ResolvedOptions {
  validateOptions("RedisBroker", given, CHECKS);
  // Own properties only, as validated: nothing is taken from a prototype.
  const options: RedisBrokerOptions = { ...given };
  return {
    namespace: options.namespace ?? "taskq",
    heartbeatTimeout: options.heartbeatTimeout ?? 60_000,
    deadMessageTtl: options.deadMessageTtl ?? 7 * 24 * 3600 * 1000,
    maintenanceChance: options.maintenanceChance ?? 1000,
    connectionTimeout: options.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT,
    connection: ioredisOptions("RedisBroker", options, OWN),
    url: options.url,
    client: options.client,
    middleware: options.middleware,
  };
}
