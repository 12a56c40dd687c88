import { randomUUID } from "node:crypto";
import { REDIS_CLUSTER_TESTS } from "@taskq/test-servers";
import { inject, test } from "vitest";
import type { RedisBrokerOptions } from "../../src/index.js";
import { RedisBroker } from "../../src/index.js";

export { REDIS_CLUSTER_TESTS };

/** Why the cluster tests did not run, shown as the name of a skipped test. */
export const SKIP_REASON =
  "skipped: set TASKQ_REDIS_CLUSTER=1 to start a local Redis Cluster and run the cluster tests";

/** The startup nodes of the run's 3-master cluster (see test/setup/redis-cluster.ts). */
export function clusterNodes(): { host: string; port: number }[] {
  return JSON.parse(inject("redisClusterNodes")) as { host: string; port: number }[];
}

/** A broker on the run's cluster, in a namespace of its own. */
export function makeClusterBroker(options: RedisBrokerOptions = {}): RedisBroker {
  return new RedisBroker({
    cluster: { nodes: clusterNodes() },
    namespace: `test-${randomUUID()}`,
    ...options,
  });
}

/** Register one skipped test naming `what` and why it did not run. */
export function skipCluster(what: string): void {
  test.skip(`${what} (${SKIP_REASON})`, () => {});
}
