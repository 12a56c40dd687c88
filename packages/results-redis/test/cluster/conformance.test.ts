import { randomUUID } from "node:crypto";
import { resultBackendConformance } from "@taskq/core/testing";
import { REDIS_CLUSTER_TESTS } from "@taskq/test-servers";
import { Cluster } from "ioredis";
import { inject, test } from "vitest";
import { RedisResultBackend } from "../../src/index.js";

if (!REDIS_CLUSTER_TESTS) {
  test.skip("RedisResultBackend conformance on a Redis Cluster (skipped: set TASKQ_REDIS_CLUSTER=1 to start a local Redis Cluster and run it)", () => {});
} else {
  resultBackendConformance(
    () =>
      new RedisResultBackend({
        client: new Cluster(JSON.parse(inject("redisClusterNodes"))),
        namespace: `results-${randomUUID()}`,
      }),
    {
      name: "RedisResultBackend conformance on a Redis Cluster",
      destroy: async (backend) => {
        const b = backend as RedisResultBackend;
        await b.close();
        b.client.disconnect();
      },
    },
  );
}
