import { randomUUID } from "node:crypto";
import { cancelBackendConformance } from "@taskq/core/testing";
import { inject } from "vitest";
import { RedisCancelBackend } from "../../src/index.js";

cancelBackendConformance(
  (options) =>
    new RedisCancelBackend({
      url: inject("redisUrl"),
      namespace: `cancel-${randomUUID()}`,
      ...options,
    }),
  {
    name: "RedisCancelBackend conformance",
    destroy: (backend) => backend.close(),
    // A second client on the same namespace: another process's view.
    peer: (backend) =>
      new RedisCancelBackend({
        url: inject("redisUrl"),
        namespace: (backend as RedisCancelBackend).namespace,
        ttl: backend.ttl,
      }),
  },
);
