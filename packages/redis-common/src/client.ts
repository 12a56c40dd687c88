import { InvalidArgument } from "@taskq/core";
import type { ClusterNode, ClusterOptions, RedisOptions } from "ioredis";
import { Cluster, Redis } from "ioredis";

/**
 * What taskq sets on every client it creates: ioredis must not resend a command that was in
 * flight when the connection dropped (it may have run already); it fails instead. taskq
 * itself writes a command only once the client is ready, waiting up to `connectionTimeout`,
 * so none of its commands waits in ioredis's offline queue (left on for the user's own calls
 * on `client`; with maxRetriesPerRequest 0 they fail at the first failed reconnect).
 */
const REQUIRED = { maxRetriesPerRequest: 0 } as const;

/**
 * Reconnect quickly (50 ms doubling, at most 1 s apart, plus jitter): a producer waiting out
 * a restart gets its connection back within about a second of Redis.
 */
export function reconnectDelay(times: number): number {
  return Math.min(50 * 2 ** Math.max(0, times - 1), 1000) + Math.floor(Math.random() * 50);
}

/**
 * A client for a taskq package: `where` names the package in errors. Commands in one tick go
 * out in one write (auto-pipelining), so many concurrent calls cost few syscalls.
 */
export function createClient(where: string, url: string | undefined, options: RedisOptions): Redis {
  checkRequired(where, options);
  const merged: RedisOptions = {
    enableAutoPipelining: true,
    retryStrategy: reconnectDelay,
    ...options,
    ...REQUIRED,
  };
  return url === undefined ? new Redis(merged) : new Redis(url, merged);
}

/**
 * A Redis Cluster client for a taskq package: `nodes` to start from, `options` the
 * ClusterOptions, `nodeOptions` the connection options every node gets (password, tls...).
 * Every node's connection follows taskq's rules (no resend of a command in flight).
 */
export function createClusterClient(
  where: string,
  nodes: ClusterNode[],
  options: ClusterOptions,
  nodeOptions: RedisOptions,
): Cluster {
  checkRequired(where, nodeOptions);
  checkRequired(where, options.redisOptions ?? {});
  return new Cluster(nodes, {
    enableAutoPipelining: true,
    clusterRetryStrategy: reconnectDelay,
    ...options,
    redisOptions: { ...nodeOptions, ...options.redisOptions, ...REQUIRED },
  });
}

function checkRequired(where: string, options: RedisOptions): void {
  for (const [name, value] of Object.entries(REQUIRED)) {
    if (Object.hasOwn(options, name) && (options as Record<string, unknown>)[name] !== value) {
      throw new InvalidArgument(
        `${where} option ${name} must be ${value} (or left out): taskq waits for the connection ` +
          "itself, up to connectionTimeout, so that no command is sent twice",
      );
    }
  }
}
