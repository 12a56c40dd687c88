import { waitUntil } from "@taskq/core/testing";
import { inject } from "vitest";

export { captureLogs, sleep } from "@taskq/core/testing";

import type { RabbitmqBrokerOptions } from "../../src/index.js";
import { RabbitmqBroker } from "../../src/index.js";

export function makeBroker(options: RabbitmqBrokerOptions = {}): RabbitmqBroker {
  return new RabbitmqBroker({ url: inject("amqpUrl"), connectionTimeout: 5000, ...options });
}

/** A queue name no other test uses (RabbitMQ has no namespaces). */
export function uniqueQueue(prefix = "q"): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Poll until `check` holds; fail after `timeout` ms. */
export function eventually(
  check: () => boolean | Promise<boolean>,
  timeout = 10_000,
  what = "condition",
): Promise<void> {
  return waitUntil(check, { timeout, what });
}

export type { PutRawOptions } from "./put-raw.js";
export { putRaw } from "./put-raw.js";

/** A broker on quorum queues, in the test node's `quorum` vhost. */
export function makeQuorumBroker(options: RabbitmqBrokerOptions = {}): RabbitmqBroker {
  return makeBroker({ url: inject("amqpQuorumUrl"), queueType: "quorum", ...options });
}
