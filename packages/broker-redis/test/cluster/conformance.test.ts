import { badInputConformance, brokerConformance, dataQueueConformance } from "@taskq/core/testing";
import { beforeAll } from "vitest";
import type { RedisBroker } from "../../src/index.js";
import { captureLogs, putRaw } from "../helpers.js";
import { makeClusterBroker, REDIS_CLUSTER_TESTS, skipCluster } from "./helpers.js";

if (!REDIS_CLUSTER_TESTS) {
  skipCluster("RedisBroker conformance, bad-input and data-queue suites on a Redis Cluster");
} else {
  beforeAll(() => {
    captureLogs();
  });

  brokerConformance(() => makeClusterBroker(), {
    name: "RedisBroker conformance on a Redis Cluster",
    enqueueRaw: async (broker, queue, data) => {
      await putRaw(broker as RedisBroker, queue, data);
    },
  });

  badInputConformance("RedisBroker on a Redis Cluster", {
    makeBroker: () => makeClusterBroker(),
    putRaw: async (broker, queueName, bytes) => {
      await putRaw(broker as RedisBroker, queueName, bytes);
    },
  });

  dataQueueConformance(() => makeClusterBroker(), {
    name: "RedisBroker data queue conformance on a Redis Cluster",
  });
}
