import { dramatiqInteropSuite } from "@taskq/test-servers";
import { inject } from "vitest";
import { RedisBroker } from "../../src/index.js";

// A real Dramatiq 2.x against taskq on Redis, when DRAMATIQ_SRC is set (skipped otherwise).
// Each run uses its own private redis-server, so Dramatiq's default namespace is free.
dramatiqInteropSuite(
  "redis",
  () => inject("redisUrl"),
  () => new RedisBroker({ url: inject("redisUrl"), namespace: "dramatiq" }),
);
