import { randomUUID } from "node:crypto";
import { actor } from "@taskq/core";
import { afterEach, expect, test } from "vitest";
import type { RedisBroker } from "../../src/index.js";
import { eventually, makeBroker, sleep } from "../helpers.js";

const brokers: RedisBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) {
    await b.flushAll();
    await b.close();
  }
});

function broker(namespace: string): RedisBroker {
  const b = makeBroker({ namespace });
  brokers.push(b);
  return b;
}

test("dead letters list newest first, paged, with the time each died", async () => {
  const b = broker(`test-${randomUUID()}`);
  const a = actor((_n: number) => undefined, { broker: b, actorName: "a", queueName: "q" });
  const sent = [await a.send(1), await a.send(2), await a.send(3)];
  const consumer = b.consume("q", { prefetch: 1, timeout: 100 });
  const before = Date.now();
  for (let i = 0; i < 3; i++) {
    let got = await consumer.fetch(1, { timeout: 1000 });
    while (got.length === 0) got = await consumer.fetch(1, { timeout: 1000 });
    await consumer.nack(got[0]!);
    await sleep(5);
  }
  await consumer.close();
  const newest = await b.getDeadLetters("q", { newestFirst: true, limit: 10 });
  expect(newest.map((d) => d.message?.messageId)).toEqual(sent.map((m) => m.messageId).reverse());
  const times = newest.map((d) => d.failedAt!);
  expect(times[0]!).toBeGreaterThan(times[2]!);
  expect(times[2]!).toBeGreaterThanOrEqual(before);
  expect(times[0]!).toBeLessThanOrEqual(Date.now());
  const second = await b.getDeadLetters("q", { newestFirst: true, offset: 1, limit: 1 });
  expect(second.map((d) => d.message?.messageId)).toEqual([sent[1]!.messageId]);
});

test("listWorkers: workers alive by heartbeat, with the queues they fetched from", async () => {
  const namespace = `test-${randomUUID()}`;
  const worker = broker(namespace);
  const reader = broker(namespace);
  const a = actor(() => undefined, { broker: worker, actorName: "a", queueName: "emails" });
  await a.send();
  const consumer = worker.consume("emails", { prefetch: 1, timeout: 100 });
  let got = await consumer.fetch(1, { timeout: 1000 });
  while (got.length === 0) got = await consumer.fetch(1, { timeout: 1000 });
  // A worker whose heartbeat is older than heartbeatTimeout is not alive.
  await reader.client.zadd(reader.keys.heartbeats, Date.now() - 3_600_000, "long-gone");
  let listed: Awaited<ReturnType<NonNullable<RedisBroker["listWorkers"]>>> = [];
  await eventually(
    async () => {
      listed = await reader.listWorkers();
      return listed.some((w) => w.id === worker.keys.brokerId && w.queues.length > 0);
    },
    10_000,
    "the worker listed with its queue",
  );
  const me = listed.find((w) => w.id === worker.keys.brokerId)!;
  expect(me.queues).toEqual(["emails"]);
  expect(Math.abs(Date.now() - me.lastSeen)).toBeLessThan(60_000);
  expect(listed.map((w) => w.id)).not.toContain("long-gone");
  await consumer.ack(got[0]!);
  await consumer.close();
});
