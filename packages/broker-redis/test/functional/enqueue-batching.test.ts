import { actor } from "@taskq/core";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, test } from "vitest";
import type { RedisBroker } from "../../src/index.js";
import { eventually, makeBroker } from "../helpers.js";

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function broker(): RedisBroker {
  const b = makeBroker();
  cleanups.push(async () => {
    await b.flushAll();
    await b.close();
  });
  return b;
}

/** Counts, through MONITOR on its own connection, the script calls that write `queueKey`. */
async function scriptCallsOn(queueKey: string): Promise<{ count(): number; stop(): void }> {
  const client = new Redis(inject("redisUrl"));
  const monitor = await client.monitor();
  let calls = 0;
  monitor.on("monitor", (_time: string, args: string[]) => {
    const name = String(args[0]).toLowerCase();
    if ((name === "evalsha" || name === "eval") && args[3] === queueKey) calls++;
  });
  const stop = () => {
    monitor.disconnect();
    client.disconnect();
  };
  cleanups.push(async () => stop());
  return { count: () => calls, stop };
}

describe("RedisBroker enqueue batching", () => {
  test("sends made in one turn go to Redis in one script call, each resolving to its own stored message", async () => {
    const b = broker();
    const noop = actor((_n: number) => undefined, { broker: b, actorName: "noop" });
    await b.ping();
    const calls = await scriptCallsOn(b.keys.queue("default"));

    const sent = await Promise.all(Array.from({ length: 50 }, (_, i) => noop.send(i)));

    const ids = sent.map((m) => m.options.redis_message_id as string);
    expect(new Set(ids).size).toBe(50);
    // In send order on the queue, each id's message holding its own argument.
    expect(await b.client.lrange(b.keys.queue("default"), 0, -1)).toEqual(ids);
    const stored = await b.client.hmget(b.keys.messages("default"), ...ids);
    expect(stored.map((s) => JSON.parse(s!).args[0])).toEqual(sent.map((_, i) => i));
    await eventually(() => calls.count() >= 1, 5000, "MONITOR to report the script call");
    expect(calls.count()).toBe(1);
  });

  test("sends awaited one after another are each stored before the next starts", async () => {
    const b = broker();
    const noop = actor((_n: number) => undefined, { broker: b, actorName: "noop" });
    for (let i = 0; i < 5; i++) {
      const m = await noop.send(i);
      expect(await b.client.llen(b.keys.queue("default"))).toBe(i + 1);
      expect(
        await b.client.hexists(b.keys.messages("default"), m.options.redis_message_id as string),
      ).toBe(1);
    }
  });

  test("a send started just before close() is still stored", async () => {
    const b = broker();
    const reader = new Redis(inject("redisUrl"));
    cleanups.push(async () => reader.disconnect());
    const noop = actor((_n: number) => undefined, { broker: b, actorName: "noop" });
    await b.ping();
    const pending = noop.send(7);
    await b.close();
    const m = await pending;
    expect(await reader.lrange(b.keys.queue("default"), 0, -1)).toEqual([
      m.options.redis_message_id,
    ]);
  });

  test("enqueueMany splits a large batch into chunks and keeps every message in order", async () => {
    const b = broker();
    const noop = actor((_n: number) => undefined, { broker: b, actorName: "noop" });
    const messages = Array.from({ length: 1234 }, (_, i) => noop.message(i));
    const stored = await b.enqueueMany(messages);
    expect(await b.client.lrange(b.keys.queue("default"), 0, -1)).toEqual(
      stored.map((m) => m.options.redis_message_id),
    );
  });
});

describe("RedisBroker wake-ups", () => {
  test("a message enqueued while a new consumer is still subscribing wakes its first fetch instead of waiting for the poll", async () => {
    const b = broker();
    const producer = makeBroker({ namespace: b.namespace });
    cleanups.push(() => producer.close());
    const noop = actor((_n: number) => undefined, { broker: producer, actorName: "noop" });
    // Both connections up, as in a worker that has been running: only the new consumer's
    // wake-up subscription still has to connect.
    await Promise.all([b.ping(), producer.ping()]);
    const consumer = b.consume("default");
    cleanups.push(() => consumer.close());
    // A poll far beyond the test's own timeout: only a wake-up (or a fetch that sees the
    // message) can end this fetch in time.
    const fetched = consumer.fetch(1, { timeout: 60_000 });
    const sent = await noop.send(1);
    const [proxy] = await fetched;
    expect(proxy?.messageId).toBe(sent.messageId);
  }, 15_000);
});
