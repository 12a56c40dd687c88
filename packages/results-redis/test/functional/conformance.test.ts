import { randomUUID } from "node:crypto";
import { resultBackendConformance } from "@taskq/core/testing";
import { inject } from "vitest";
import { RedisResultBackend } from "../../src/index.js";

resultBackendConformance(
  () => new RedisResultBackend({ url: inject("redisUrl"), namespace: `results-${randomUUID()}` }),
  {
    name: "RedisResultBackend conformance",
    destroy: (backend) => (backend as RedisResultBackend).close(),
  },
);
