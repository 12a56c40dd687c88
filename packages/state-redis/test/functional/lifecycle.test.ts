import { randomUUID } from "node:crypto";
import { RedisBroker } from "@taskq/broker-redis";
import { RedisCancelBackend } from "@taskq/cancel-redis";
import { captureLogs, lifecycleConformance } from "@taskq/core/testing";
import { beforeAll, inject } from "vitest";
import { RedisStateBackend } from "../../src/index.js";

beforeAll(() => {
  captureLogs();
});

const namespace = `lifecycle-${randomUUID()}`;

lifecycleConformance({
  name: "lifecycle on RedisBroker with the Redis backends",
  makeBroker: () =>
    new RedisBroker({ url: inject("redisUrl"), namespace: `broker-${randomUUID()}` }),
  makeStateBackend: () => new RedisStateBackend({ url: inject("redisUrl"), namespace }),
  makeCancelBackend: () => new RedisCancelBackend({ url: inject("redisUrl"), namespace }),
  peerStateBackend: () => new RedisStateBackend({ url: inject("redisUrl"), namespace }),
});
