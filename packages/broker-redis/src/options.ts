import type { BrokerOptions, OptionCheck } from "@taskq/core";
import { InvalidArgument, optionChecks, validateOptions } from "@taskq/core";
import {
  connectionOptionChecks,
  DEFAULT_CONNECTION_TIMEOUT,
  ioredisOptions,
} from "@taskq/redis-common";
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from "ioredis";

/** The options RedisBroker itself reads (the rest go to ioredis). */
export interface RedisBrokerOwnOptions {
  /** `redis://[:password@]host:port/db`; other connection options refine it. */
  url?: string;
  /**
   * An ioredis client to use (left open by `close()`) instead of creating one. An ioredis
   * `Cluster` selects the cluster layout, as `cluster` does.
   */
  client?: Redis | Cluster;
  /**
   * Connect to a Redis Cluster: the nodes to start from and ioredis `ClusterOptions`. Selects
   * the cluster key layout (every key of a queue in one hash slot, `ns:{q}...`): not
   * Dramatiq's, so no Dramatiq interop. Other ioredis options (password, tls...) apply to
   * every node.
   */
  cluster?: RedisClusterConfig;
  /**
   * Cluster or replicated Redis: a resolved `send()` means this many replicas have the
   * message too (Redis `WAIT` after the enqueue, on the same node, up to
   * `connectionTimeout`); a send that fewer replicas acknowledged in time rejects. Default 0:
   * the primary accepted it.
   */
  waitReplicas?: number;
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

/** Where a RedisBroker finds a Redis Cluster (`cluster` option). */
export interface RedisClusterConfig {
  /** Nodes to start from (any of the cluster's; the others are discovered). */
  nodes: { host: string; port: number }[];
  /** ioredis `ClusterOptions` (taskq sets `maxRetriesPerRequest: 0` on every node). */
  options?: ClusterOptions;
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
  client: Redis | Cluster | undefined;
  /** The cluster to connect to, when the broker creates a Cluster client. */
  cluster: { nodes: ClusterNode[]; options: ClusterOptions } | undefined;
  /** Whether the cluster layout is used (`cluster`, or a Cluster `client`). */
  clusterMode: boolean;
  waitReplicas: number;
  middleware: BrokerOptions["middleware"];
}

const CHECKS = {
  ...connectionOptionChecks,
  heartbeatTimeout: optionChecks.positiveNumber,
  deadMessageTtl: optionChecks.positiveNumber,
  maintenanceChance: (v: unknown) =>
    typeof v === "number" && v >= 0 && v <= 1_000_000 ? undefined : "a number from 0 to 1 000 000",
  middleware: optionChecks.arrayOf(optionChecks.object, "an array of middleware"),
  cluster: checkCluster,
  waitReplicas: (v: unknown) =>
    Number.isInteger(v) && (v as number) >= 0 ? undefined : "a whole number, 0 or more",
} satisfies Record<string, OptionCheck>;

function checkCluster(v: unknown): string | undefined {
  const expected = "{ nodes: [{ host, port }, ...], options? }";
  if (typeof v !== "object" || v === null) return expected;
  const { nodes, options } = v as { nodes?: unknown; options?: unknown };
  if (!Array.isArray(nodes) || nodes.length === 0) return `${expected} with at least one node`;
  for (const node of nodes) {
    const { host, port } = (node ?? {}) as { host?: unknown; port?: unknown };
    if (typeof host !== "string" || host === "" || !Number.isInteger(port))
      return `${expected}: each node a { host: string, port: number }`;
  }
  if (options !== undefined && (typeof options !== "object" || options === null))
    return `${expected}: options an object (ioredis ClusterOptions)`;
  return undefined;
}

const OWN = Object.keys(CHECKS);

/** Check the options (an InvalidArgument names the first that does not fit) and apply the defaults. */
export function resolveOptions(given: RedisBrokerOptions): ResolvedOptions {
  validateOptions("RedisBroker", given, CHECKS);
  // Own properties only, as validated: nothing is taken from a prototype.
  const options: RedisBrokerOptions = { ...given };
  const { cluster, client } = options;
  if (cluster !== undefined && (options.url !== undefined || client !== undefined)) {
    throw new InvalidArgument(
      `RedisBroker option cluster cannot go with ${options.url !== undefined ? "url" : "client"}: ` +
        "give the cluster's nodes, or a client (an ioredis Cluster for cluster mode), not both",
    );
  }
  const clusterMode = cluster !== undefined || client?.isCluster === true;
  const namespace = options.namespace ?? "taskq";
  if (clusterMode && /[{}]/.test(namespace)) {
    throw new InvalidArgument(
      `RedisBroker option namespace must not contain { or } in cluster mode (got ${JSON.stringify(namespace)}): ` +
        "the queue's hash tag must be the first braces of every key",
    );
  }
  return {
    namespace,
    heartbeatTimeout: options.heartbeatTimeout ?? 60_000,
    deadMessageTtl: options.deadMessageTtl ?? 7 * 24 * 3600 * 1000,
    maintenanceChance: options.maintenanceChance ?? 1000,
    connectionTimeout: options.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT,
    connection: ioredisOptions("RedisBroker", options, OWN),
    url: options.url,
    client,
    cluster:
      cluster === undefined
        ? undefined
        : {
            nodes: cluster.nodes.map(({ host, port }) => ({ host, port })),
            options: { ...cluster.options },
          },
    clusterMode,
    waitReplicas: options.waitReplicas ?? 0,
    middleware: options.middleware,
  };
}
