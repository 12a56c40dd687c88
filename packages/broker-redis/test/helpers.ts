import { randomUUID } from "node:crypto";
import { waitUntil } from "@taskq/core/testing";
import { inject } from "vitest";

export { captureLogs, sleep } from "@taskq/core/testing";

import type { RedisBrokerOptions } from "../src/index.js";
import { RedisBroker } from "../src/index.js";

/** A broker on the run's Redis, in a namespace of its own. */
export function makeBroker(options: RedisBrokerOptions = {}): RedisBroker {
  return new RedisBroker({
    url: inject("redisUrl"),
    namespace: `test-${randomUUID()}`,
    ...options,
  });
}

/** Poll until `check` holds; fail after `timeout` ms. */
export function eventually(
  check: () => boolean | Promise<boolean>,
  timeout = 10_000,
  what = "condition",
): Promise<void> {
  return waitUntil(check, { timeout, what });
}
