import { randomUUID } from "node:crypto";
import { resultBackendConformance } from "@taskq/core/testing";
import { inject } from "vitest";
import { MemcachedResultBackend } from "../../src/index.js";

resultBackendConformance(
  () =>
    new MemcachedResultBackend({
      servers: inject("memcachedServers"),
      namespace: `results-${randomUUID()}`,
    }),
  {
    name: "MemcachedResultBackend conformance",
    destroy: (backend) => (backend as MemcachedResultBackend).close(),
    // Memcached counts TTLs in whole seconds.
    minTtl: 1000,
  },
);
