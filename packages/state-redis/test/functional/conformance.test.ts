import { randomUUID } from "node:crypto";
import { stateBackendConformance } from "@taskq/core/testing";
import { inject } from "vitest";
import { RedisStateBackend } from "../../src/index.js";

stateBackendConformance(
  () => new RedisStateBackend({ url: inject("redisUrl"), namespace: `state-${randomUUID()}` }),
  {
    name: "RedisStateBackend conformance",
    destroy: (backend) => backend.close(),
    // A second client on the same namespace: another process's view.
    peer: (backend) =>
      new RedisStateBackend({
        url: inject("redisUrl"),
        namespace: (backend as RedisStateBackend).namespace,
      }),
  },
);
