import { randomUUID } from "node:crypto";
import { rateLimiterBackendConformance } from "@taskq/core/testing";
import { REDIS_CLUSTER_TESTS } from "@taskq/test-servers";
import { Cluster } from "ioredis";
import { expect, inject, test } from "vitest";
import { RedisRateLimiterBackend } from "../../src/index.js";

const nodes = () => JSON.parse(inject("redisClusterNodes")) as { host: string; port: number }[];

if (!REDIS_CLUSTER_TESTS) {
  test.skip("RedisRateLimiterBackend conformance on a Redis Cluster (skipped: set TASKQ_REDIS_CLUSTER=1 to start a local Redis Cluster and run it)", () => {});
} else {
  rateLimiterBackendConformance(
    () =>
      new RedisRateLimiterBackend({
        client: new Cluster(nodes()),
        namespace: `rl-${randomUUID()}`,
      }),
    {
      name: "RedisRateLimiterBackend conformance on a Redis Cluster",
      destroy: async (backend) => {
        const b = backend as RedisRateLimiterBackend;
        await b.close();
        b.client.disconnect();
      },
    },
  );

  test("a window limiter works on the cluster; namespaces spread over its nodes", async () => {
    const client = new Cluster(nodes());
    try {
      const slots = new Set<number>();
      for (let i = 0; i < 8; i++) {
        const backend = new RedisRateLimiterBackend({ client, namespace: `rl-${randomUUID()}` });
        const key = `limiter${i}`;
        const window = [`${key}@2`, `${key}@1`, `${key}@0`];
        expect(await backend.incrAndSum(window[0]!, window, 1, 1, 3000)).toBe(true);
        expect(await backend.incrAndSum(window[0]!, window, 1, 1, 3000)).toBe(false);
        slots.add((await client.cluster("KEYSLOT", `{${backend.namespace}}`)) as number);
        await backend.close();
      }
      expect(slots.size).toBeGreaterThan(1);
    } finally {
      client.disconnect();
    }
  });
}
