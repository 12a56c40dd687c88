import { randomUUID } from "node:crypto";
import { cancelBackendConformance } from "@taskq/core/testing";
import { REDIS_CLUSTER_TESTS } from "@taskq/test-servers";
import { Cluster } from "ioredis";
import { inject, test } from "vitest";
import type { RedisCancelBackendOptions } from "../../src/index.js";
import { RedisCancelBackend } from "../../src/index.js";

const cluster = () =>
  new Cluster(JSON.parse(inject("redisClusterNodes")) as { host: string; port: number }[]);

/** A backend on its own Cluster client, closed with it. */
function make(options: RedisCancelBackendOptions): RedisCancelBackend {
  return new RedisCancelBackend({ client: cluster(), ...options });
}

async function destroy(backend: RedisCancelBackend): Promise<void> {
  await backend.close();
  backend.client.disconnect();
}

if (!REDIS_CLUSTER_TESTS) {
  test.skip("RedisCancelBackend conformance on a Redis Cluster (skipped: set TASKQ_REDIS_CLUSTER=1 to start a local Redis Cluster and run it)", () => {});
} else {
  const peers: RedisCancelBackend[] = [];
  cancelBackendConformance((options) => make({ namespace: `cancel-${randomUUID()}`, ...options }), {
    name: "RedisCancelBackend conformance on a Redis Cluster",
    destroy: async (backend) => {
      await destroy(backend as RedisCancelBackend);
      for (const peer of peers.splice(0)) await destroy(peer);
    },
    // A second client on the same namespace: another process's view.
    peer: (backend) => {
      const peer = make({ namespace: (backend as RedisCancelBackend).namespace, ttl: backend.ttl });
      peers.push(peer);
      return peer;
    },
  });
}
