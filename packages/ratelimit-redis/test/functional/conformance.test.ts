import { randomUUID } from "node:crypto";
import { rateLimiterBackendConformance } from "@taskq/core/testing";
import { inject } from "vitest";
import { RedisRateLimiterBackend } from "../../src/index.js";

rateLimiterBackendConformance(
  () => new RedisRateLimiterBackend({ url: inject("redisUrl"), namespace: `rl-${randomUUID()}` }),
  {
    name: "RedisRateLimiterBackend conformance",
    destroy: (backend) => (backend as RedisRateLimiterBackend).close(),
  },
);
