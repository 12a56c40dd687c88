import { actor, ConnectionError, ConnectionFailed, Worker } from "@taskq/core";
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

test("default options, node stopped and restarted while producers send flat out: every send settles (resolved, or rejected for want of a connection), and every message whose send resolved is consumed", {
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
  const firstLine = logs.length;
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
    // A send waits connectionTimeout (10 s) for a connection: on a loaded machine the node
    // can take longer than that to come back, and then the caller is told, never left waiting.
    for (const err of rejected) {
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/Could not connect to RabbitMQ .* within 10000 ms/);
    }
    expect(rejected.length).toBeLessThan(resolved.length / 100);
    await eventually(
      () => resolved.every((n) => received.has(n)),
      60_000,
      "every message whose send resolved was consumed",
    );
    // Thousands of messages were in flight when the node went: the log says so in a few lines.
    const loud = logs.slice(firstLine).filter((l) => l.level === "warn" || l.level === "error");
    expect(loud.length).toBeLessThan(30);
  } finally {
    sending = false;
    await worker.stop({ timeout: 10_000 });
    await producer.close();
    await consumerSide.close();
  }
});
