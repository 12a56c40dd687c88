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

/**
 * Put raw bytes on a queue as a foreign producer would (a Dramatiq process, or anything
 * else): HSET them in `ns:<q>.msgs` under a new id and RPUSH the id on `ns:<q>`, with no
 * wake-up notice. Resolves to the id.
 */
export async function putRaw(
  broker: RedisBroker,
  queueName: string,
  bytes: Uint8Array | string,
): Promise<string> {
  const id = `raw-${randomUUID()}`;
  const data =
    typeof bytes === "string"
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await broker.client
    .multi()
    .hset(broker.keys.messages(queueName), id, data)
    .rpush(broker.keys.queue(queueName), id)
    .exec();
  return id;
}

/** Poll until `check` holds; fail after `timeout` ms. */
export function eventually(
  check: () => boolean | Promise<boolean>,
  timeout = 10_000,
  what = "condition",
): Promise<void> {
  return waitUntil(check, { timeout, what });
}
