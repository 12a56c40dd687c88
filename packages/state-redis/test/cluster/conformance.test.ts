import { randomUUID } from "node:crypto";
import { stateBackendConformance } from "@taskq/core/testing";
import { REDIS_CLUSTER_TESTS } from "@taskq/test-servers";
import { Cluster } from "ioredis";
import { inject, test } from "vitest";
import { RedisStateBackend } from "../../src/index.js";

const cluster = () =>
  new Cluster(JSON.parse(inject("redisClusterNodes")) as { host: string; port: number }[]);

/** A backend on its own Cluster client, closed with it. */
function make(namespace: string): RedisStateBackend {
  return new RedisStateBackend({ client: cluster(), namespace });
}

async function destroy(backend: RedisStateBackend): Promise<void> {
  await backend.close();
  backend.client.disconnect();
}

if (!REDIS_CLUSTER_TESTS) {
  test.skip("RedisStateBackend conformance on a Redis Cluster (skipped: set TASKQ_REDIS_CLUSTER=1 to start a local Redis Cluster and run it)", () => {});
} else {
  const peers: RedisStateBackend[] = [];
  stateBackendConformance(() => make(`state-${randomUUID()}`), {
    name: "RedisStateBackend conformance on a Redis Cluster",
    destroy: async (backend) => {
      await destroy(backend as RedisStateBackend);
      for (const peer of peers.splice(0)) await destroy(peer);
    },
    // A second client on the same namespace: another process's view.
    peer: (backend) => {
      const peer = make((backend as RedisStateBackend).namespace);
      peers.push(peer);
      return peer;
    },
  });
}
