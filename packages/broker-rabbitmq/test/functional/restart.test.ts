import { actor, ConnectionFailed, Worker } from "@taskq/core";
import type { RabbitmqServer } from "@taskq/test-servers";
import { startRabbitmq } from "@taskq/test-servers";
import { afterAll, beforeAll, expect, test } from "vitest";
import { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, eventually, uniqueQueue } from "../helpers/index.js";

// A node of its own: this test stops and starts it.
let server: RabbitmqServer;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  logs = captureLogs();
  server = await startRabbitmq();
}, 90_000);

afterAll(async () => {
  await server.destroy();
});

test("RabbitMQ stopped and started mid-run: every confirmed message is processed at least once", {
  timeout: 120_000,
}, async () => {
  const queue = uniqueQueue("restart");
  const options = { url: server.url, confirmDelivery: true, connectionTimeout: 30_000 };
  const producer = new RabbitmqBroker(options);
  const consumerSide = new RabbitmqBroker(options);
  const processed = new Set<number>();
  const job = actor((n: number) => void processed.add(n), {
    broker: producer,
    actorName: "job",
    queueName: queue,
  });
  actor((n: number) => void processed.add(n), {
    broker: consumerSide,
    actorName: "job",
    queueName: queue,
  });
  const worker = new Worker(consumerSide, { concurrency: 8, workerTimeout: 200 });
  await worker.start();

  const confirmed: number[] = [];
  let restarted: Promise<void> | undefined;
  for (let i = 0; i < 400; i++) {
    if (i === 150) {
      await server.stop();
      restarted = new Promise((resolve, reject) => {
        setTimeout(() => server.restart().then(resolve, reject), 1000);
      });
    }
    try {
      await job.send(i);
      confirmed.push(i);
    } catch {
      // Not confirmed: the caller knows this one may not have been taken.
    }
  }
  await restarted;
  await eventually(
    () => confirmed.every((n) => processed.has(n)),
    60_000,
    "every confirmed message processed",
  );
  expect(confirmed.length).toBeGreaterThan(300);
  expect(logs.some((l) => l.msg.includes("Connected to RabbitMQ") && l.msg.includes("again"))).toBe(
    true,
  );
  await worker.stop({ timeout: 10_000 });
  await producer.close();
  await consumerSide.close();
});

test("ping while the node is down: a ConnectionFailed within its timeout, never a 'lost'; then fine again once it is back", {
  timeout: 120_000,
}, async () => {
  const broker = new RabbitmqBroker({ url: server.url, connectionTimeout: 30_000 });
  try {
    await broker.ping();
    await server.stop();
    const started = Date.now();
    const error = await broker.ping({ timeout: 1000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toContain(
      `Could not connect to RabbitMQ at ${server.url.replace("guest@", "***@")}`,
    );
    expect((error as Error).message).not.toMatch(/lost/i);
    await server.restart();
    await eventually(
      () =>
        broker.ping({ timeout: 1000 }).then(
          () => true,
          () => false,
        ),
      30_000,
      "ping answers again",
    );
  } finally {
    await broker.close();
  }
});

test("default options, node stopped and restarted while producers send flat out: every send settles, none rejects, and every message whose send resolved is consumed", {
  timeout: 180_000,
}, async () => {
  const queue = uniqueQueue("outage");
  const producer = new RabbitmqBroker({ url: server.url });
  const consumerSide = new RabbitmqBroker({ url: server.url });
  const received = new Set<number>();
  const job = actor((n: number) => void received.add(n), {
    broker: producer,
    actorName: "job",
    queueName: queue,
  });
  actor((n: number) => void received.add(n), {
    broker: consumerSide,
    actorName: "job",
    queueName: queue,
  });
  const worker = new Worker(consumerSide, { concurrency: 8, workerTimeout: 200 });
  await worker.start();
  let next = 0;
  let sending = true;
  const resolved: number[] = [];
  const rejected: unknown[] = [];
  // No pause between sends: the socket fills up, so the node goes while writes wait for drain.
  const producers = Array.from({ length: 4 }, async () => {
    while (sending) {
      const n = next++;
      await job.send(n).then(
        () => resolved.push(n),
        (err: unknown) => rejected.push(err),
      );
    }
  });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    await server.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await server.restart();
    await new Promise((r) => setTimeout(r, 1500));
    sending = false;
    await Promise.race([
      Promise.all(producers),
      new Promise((_r, reject) =>
        setTimeout(() => reject(new Error("some sends never settled")), 30_000),
      ),
    ]);
    expect(rejected).toEqual([]);
    await eventually(
      () => resolved.every((n) => received.has(n)),
      60_000,
      "every message whose send resolved was consumed",
    );
  } finally {
    sending = false;
    await worker.stop({ timeout: 10_000 });
    await producer.close();
    await consumerSide.close();
  }
});
