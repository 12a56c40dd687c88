import type { BrokerOptions } from "@taskq/core";
import type { Redis, RedisOptions } from "ioredis";

export interface RedisBrokerOwnOptions {
  /** `redis://[:password@]host:port/db`; when given, other connection options refine it. */
  url?: string;
  /** An ioredis client to use (and leave open on close) instead of creating one. */
  client?: Redis;
  /** Prefix of every key. Default `taskq` (Dramatiq's is `dramatiq`: use it to share queues). */
  namespace?: string;
  /** A worker whose heartbeat is older than this many ms is dead; its messages are given back. Default 60 000. */
  heartbeatTimeout?: number;
  /** How long dead letters are kept, ms. Default 7 days. */
  deadMessageTtl?: number;
  /** Fetches out of a million that also run maintenance (it also runs on every heartbeat). Default 1000. */
  maintenanceChance?: number;
}

export type RedisBrokerOptions = BrokerOptions &
  RedisBrokerOwnOptions &
  Omit<RedisOptions, keyof RedisBrokerOwnOptions>;

/** The broker's own options, with defaults applied. */
export interface ResolvedOptions {
  namespace: string;
  heartbeatTimeout: number;
  deadMessageTtl: number;
  maintenanceChance: number;
  /** The options that are not the broker's: ioredis's. */
  connection: RedisOptions;
}

const OWN = new Set([
  "url",
  "client",
  "namespace",
  "heartbeatTimeout",
  "deadMessageTtl",
  "maintenanceChance",
  "middleware",
]);

function positive(name: string, value: number): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(
      `RedisBroker option ${name} must be a positive number, got ${String(value)}`,
    );
  }
  return value;
}

/** Check the options and apply the defaults. */
export function resolveOptions(options: RedisBrokerOptions): ResolvedOptions {
  const heartbeatTimeout = positive("heartbeatTimeout", options.heartbeatTimeout ?? 60_000);
  const deadMessageTtl = positive("deadMessageTtl", options.deadMessageTtl ?? 7 * 24 * 3600 * 1000);
  const maintenanceChance = options.maintenanceChance ?? 1000;
  if (!(maintenanceChance >= 0 && maintenanceChance <= 1_000_000)) {
    throw new TypeError(
      `RedisBroker option maintenanceChance must be from 0 to 1 000 000, got ${maintenanceChance}`,
    );
  }
  const connection: Record<string, unknown> = {};
  for (const key of Object.keys(options))
    if (!OWN.has(key)) connection[key] = (options as Record<string, unknown>)[key];
  return {
    namespace: options.namespace ?? "taskq",
    heartbeatTimeout,
    deadMessageTtl,
    maintenanceChance,
    connection: connection as RedisOptions,
  };
}
