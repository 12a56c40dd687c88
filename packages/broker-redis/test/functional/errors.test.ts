import { randomUUID } from "node:crypto";
import { BrokerError, ConnectionError, ConnectionFailed, QueueJoinTimeout } from "@taskq/core";
import { freePort } from "@taskq/test-servers";
import { afterEach, beforeEach, describe, expect, inject, test } from "vitest";
import type { RedisBrokerOptions } from "../../src/index.js";
import { RedisBroker } from "../../src/index.js";
import { captureLogs } from "../helpers.js";

const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(() => {
  captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function broker(options: RedisBrokerOptions = {}): RedisBroker {
  const b = new RedisBroker({
    url: inject("redisUrl"),
    namespace: `errors-${randomUUID()}`,
    ...options,
  });
  cleanups.push(async () => {
    await b.flushAll().catch(() => {});
    await b.close();
  });
  return b;
}

/** Resolves to what `promise` rejected with (fails the test if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if (!("err" in outcome)) throw new Error(`resolved with ${JSON.stringify(outcome.value)}`);
  return outcome.err as Error;
}

describe("RedisBroker errors", () => {
  test("every operation against an unreachable Redis fails with ConnectionFailed naming the address and the operation", async () => {
    const port = await freePort();
    const b = broker({ url: `redis://127.0.0.1:${port}`, connectionTimeout: 500 });
    b.declareQueue("default");
    const operations: [string, () => Promise<unknown>][] = [
      ["count the messages of default", () => b.join("default", { timeout: 60_000 })],
      ["flush default", () => b.flush("default")],
      ["count the messages of default", () => b.getQueueMessageCounts("default")],
      ["list the dead letters of default", () => b.getDeadLetters("default")],
      ["requeue the dead letters of default", () => b.requeueDeadLetters("default")],
      ["purge the dead letters of default", () => b.purgeDeadLetters("default")],
      ["give back the messages of dead workers", () => b.maintain()],
    ];
    const errors = await Promise.all(operations.map(([, run]) => rejection(run())));
    errors.forEach((error, i) => {
      expect(error).toBeInstanceOf(ConnectionFailed);
      expect(error.message).toContain(
        `Could not ${operations[i]![0]} on Redis at 127.0.0.1:${port}: no connection within 500 ms`,
      );
    });
  });

  test("join reports an error of one command of its pipeline instead of ignoring it", async () => {
    const b = broker();
    await b.client.set(b.keys.messages("default"), "not a hash");
    const error = await rejection(b.join("default", { timeout: 3000 }));
    expect(error).not.toBeInstanceOf(QueueJoinTimeout);
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).not.toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(
      /^Could not count the messages of default on Redis at [\d.]+:\d+: WRONGTYPE/,
    );
  });

  test("the dead-letter operations and fetch wrap what Redis replies in a BrokerError naming the operation", async () => {
    const b = broker();
    await b.client.set(b.keys.dead("default"), "not a zset");
    await b.client.set(b.keys.queue("jobs"), "not a list");
    const consumer = b.consume("jobs");
    cleanups.push(() => consumer.close());
    const cases: [string, () => Promise<unknown>][] = [
      ["list the dead letters of default", () => b.getDeadLetters("default")],
      ["requeue the dead letters of default", () => b.requeueDeadLetters("default")],
      ["purge the dead letters of default", () => b.purgeDeadLetters("default")],
      ["fetch messages from jobs", () => consumer.fetch(1, { timeout: 100 })],
    ];
    for (const [doing, run] of cases) {
      const error = await rejection(run());
      expect(error).toBeInstanceOf(BrokerError);
      expect(error).not.toBeInstanceOf(ConnectionError);
      expect(error.message).toMatch(new RegExp(`^Could not ${doing} on Redis at [\\d.]+:\\d+: `));
      expect(error.message).toMatch(/WRONGTYPE|wrong kind/);
    }
  });
});
