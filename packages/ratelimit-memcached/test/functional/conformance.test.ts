import { randomUUID } from "node:crypto";
import { rateLimiterBackendConformance } from "@taskq/core/testing";
import { inject } from "vitest";
import { MemcachedRateLimiterBackend } from "../../src/index.js";

rateLimiterBackendConformance(
  () =>
    new MemcachedRateLimiterBackend({
      servers: inject("memcachedServers"),
      namespace: `rl-${randomUUID()}`,
    }),
  {
    name: "MemcachedRateLimiterBackend conformance",
    destroy: (backend) => (backend as MemcachedRateLimiterBackend).close(),
    // Memcached counts TTLs in whole seconds.
    minTtl: 1000,
  },
);
