import { randomUUID } from "node:crypto";
import { actor, Worker } from "@taskq/core";
import type { RedisServer } from "@taskq/test-servers";
import { startRedis } from "@taskq/test-servers";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RedisBroker } from "../../src/index.js";
import { captureLogs, eventually, sleep } from "../helpers.js";

// A server of its own, durable (AOF, fsync always), since these tests crash it.
let server: RedisServer;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  logs = captureLogs();
  server = await startRedis({ durable: true });
});

afterAll(async () => {
  await server.stop();
});

function broker(): RedisBroker {
  return new RedisBroker({
    url: server.url,
    namespace: `outage-${randomUUID()}`,
    retryStrategy: () => 50,
  });
}

describe("RedisBroker through a Redis crash", () => {
  test("a Redis crash and restart mid-run loses nothing that was confirmed as enqueued", async () => {
    const producer = broker();
    const consumerSide = new RedisBroker({
      url: server.url,
      namespace: producer.namespace,
      retryStrategy: () => 50,
    });
    const processed = new Set<number>();
    const job = actor((n: number) => void processed.add(n), { broker: producer, actorName: "job" });
    actor((n: number) => void processed.add(n), { broker: consumerSide, actorName: "job" });
    const worker = new Worker(consumerSide, { concurrency: 8, workerTimeout: 200 });
    await worker.start();

    const confirmed: number[] = [];
    let crashed = false;
    const sending = (async () => {
      for (let i = 0; i < 600; i++) {
        try {
          await job.send(i);
          confirmed.push(i);
        } catch {
          // Not confirmed: the caller knows this one may not have been taken.
        }
        if (i === 200) {
          await server.crash();
          crashed = true;
          setTimeout(() => void server.restart(), 700);
        }
        if (i % 50 === 0) await sleep(5);
      }
    })();
    await sending;
    expect(crashed).toBe(true);
    await eventually(
      () => confirmed.every((n) => processed.has(n)),
      30_000,
      "every confirmed message processed",
    );
    expect(confirmed.length).toBeGreaterThan(400);
    await worker.stop({ timeout: 10_000 });
    await producer.close();
    await consumerSide.close();
    expect(
      logs.some((l) => l.msg.includes("connection to Redis") && l.msg.includes("is back")),
    ).toBe(true);
  });

  test("an ack made while Redis is down is sent once it is back: the message is not delivered again", async () => {
    const b = broker();
    const runs: number[] = [];
    const once = actor((n: number) => void runs.push(n), { broker: b, actorName: "once" });
    await once.send(1);
    const consumer = b.consume("default", { prefetch: 1 });
    const [message] = await consumer.fetch(1, { timeout: 2000 });
    expect(message).toBeDefined();
    await server.crash();
    const acked = consumer.ack(message!);
    await sleep(300);
    await server.restart();
    await acked;
    // Settled for good: nothing waits, nothing is held.
    const check = new RedisBroker({ url: server.url, namespace: b.namespace });
    expect(await check.client.hlen(check.keys.messages("default"))).toBe(0);
    expect(await check.client.scard(b.keys.acks("default"))).toBe(0);
    expect(await consumer.fetch(1, { timeout: 300 })).toEqual([]);
    await consumer.close();
    await check.close();
    await b.close();
  });
});
