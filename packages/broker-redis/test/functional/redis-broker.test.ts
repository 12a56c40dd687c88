import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { actor, ConnectionFailed, Message, Worker } from "@taskq/core";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, inject, test } from "vitest";
import { RedisBroker } from "../../src/index.js";
import { captureLogs, eventually, makeBroker, putRaw, sleep } from "../helpers.js";

let logs: ReturnType<typeof captureLogs>;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(() => {
  logs = captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function track<
  T extends { close(): Promise<void> } | { stop(options?: { timeout?: number }): Promise<void> },
>(thing: T): T {
  cleanups.push(() => ("stop" in thing ? thing.stop({ timeout: 5000 }) : thing.close()));
  return thing;
}

function broker(options: ConstructorParameters<typeof RedisBroker>[0] = {}): RedisBroker {
  const b = makeBroker(options);
  cleanups.push(async () => {
    await b.flushAll();
    await b.close();
  });
  return b;
}

async function worker(
  b: RedisBroker,
  options: ConstructorParameters<typeof Worker>[1] = {},
): Promise<Worker> {
  const w = track(new Worker(b, { workerTimeout: 200, ...options }));
  await w.start();
  return w;
}

describe("RedisBroker", () => {
  test("processes 100 messages", async () => {
    const b = broker();
    const seen = new Set<number>();
    const record = actor((n: number) => void seen.add(n), { broker: b, actorName: "record" });
    await worker(b, { concurrency: 10 });
    for (let i = 0; i < 100; i++) await record.send(i);
    await b.join("default", { timeout: 20_000 });
    expect(seen.size).toBe(100);
  });

  test("lays messages out as Dramatiq does: id on the list, JSON in the hash, redis_message_id in the options", async () => {
    const b = broker();
    const greet = actor((_name: string) => undefined, { broker: b, actorName: "greet" });
    const sent = await greet.send("ada");
    const id = sent.options.redis_message_id as string;
    expect(typeof id).toBe("string");
    expect(await b.client.lrange(b.keys.queue("default"), 0, -1)).toEqual([id]);
    const stored = await b.client.hget(b.keys.messages("default"), id);
    const parsed = JSON.parse(stored!);
    expect(Object.keys(parsed)).toEqual([
      "queue_name",
      "actor_name",
      "args",
      "kwargs",
      "options",
      "message_id",
      "message_timestamp",
    ]);
    expect(parsed).toMatchObject({
      queue_name: "default",
      actor_name: "greet",
      args: ["ada"],
      kwargs: {},
      options: { redis_message_id: id },
      message_id: sent.messageId,
    });
    const delayed = await greet.sendWithOptions({ args: ["bob"], delay: 60_000 });
    const delayedId = delayed.options.redis_message_id as string;
    expect(await b.client.lrange(b.keys.queue("default.DQ"), 0, -1)).toEqual([delayedId]);
    expect(
      JSON.parse((await b.client.hget(b.keys.messages("default.DQ"), delayedId))!),
    ).toMatchObject({
      queue_name: "default.DQ",
      options: { eta: delayed.options.eta, redis_message_id: delayedId },
    });
  });

  test("a message written exactly as Dramatiq writes it is processed", async () => {
    const b = broker();
    const got: unknown[][] = [];
    actor((...args: unknown[]) => void got.push(args), {
      broker: b,
      actorName: "count_words",
      queueName: "default",
    });
    await worker(b);
    // What dramatiq.brokers.redis.RedisBroker.enqueue stores (Python's json.dumps, ensure_ascii).
    const redisId = "5a1b7c6e-0f7c-4a55-8d4b-2f7a9b1c3d4e";
    const body =
      '{"queue_name":"default","actor_name":"count_words","args":["https://example.com/caf\\u00e9"],"kwargs":{"lang":"fr"},' +
      `"options":{"redis_message_id":"${redisId}"},"message_id":"0b7c6e2a-1111-4222-8333-444455556666","message_timestamp":1700000000000}`;
    await b.client.hset(b.keys.messages("default"), redisId, body);
    await b.client.rpush(b.keys.queue("default"), redisId);
    await eventually(() => got.length === 1, 5000, "the Dramatiq message ran");
    expect(got[0]).toEqual(["https://example.com/café", { lang: "fr" }]);
    await b.join("default", { timeout: 5000 });
  });

  test("garbage bytes put on a queue by a foreign producer (putRaw) are dead-lettered intact, and the log line names the message", async () => {
    const b = broker();
    actor(() => undefined, { broker: b, actorName: "job" });
    await worker(b, { workerTimeout: 200 });
    const garbage = Uint8Array.from([0xff, 0xfe, 0x00, 0x7b, 0x22]);
    const id = await putRaw(b, "default", garbage);
    await eventually(
      async () => (await b.getQueueMessageCounts("default")).dead === 1,
      5000,
      "the garbage dead-lettered",
    );
    const kept = await b.client.hgetBuffer(b.keys.deadMessages("default"), id);
    expect(kept).toEqual(Buffer.from(garbage));
    expect(await b.client.hlen(b.keys.messages("default"))).toBe(0);
    const line = logs.find((l) => l.level === "error" && l.msg.includes(id));
    expect(line?.msg).toContain("queue default");
    expect(line?.msg).toContain("dead letters");
  });

  test("an idle consumer wakes on new work at once; a producer that does not notify is picked up within the poll interval", async () => {
    const b = broker();
    const ran: number[] = [];
    const mark = actor(() => void ran.push(Date.now()), { broker: b, actorName: "mark" });
    await worker(b, { workerTimeout: 10_000 });
    await sleep(300);
    const sentAt = Date.now();
    await mark.send();
    await eventually(() => ran.length === 1, 5000, "the notified message ran");
    expect(ran[0]! - sentAt).toBeLessThan(1000);

    const polled = broker();
    const seen: number[] = [];
    actor(() => void seen.push(Date.now()), { broker: polled, actorName: "mark" });
    await worker(polled, { workerTimeout: 500 });
    await sleep(200);
    // Written straight into Redis, as a Dramatiq producer would: no wake-up notice.
    const m = new Message({ queueName: "default", actorName: "mark", args: [] }).copy({
      options: { redis_message_id: "quiet-1" },
    });
    const quietAt = Date.now();
    await polled.client.hset(polled.keys.messages("default"), "quiet-1", Buffer.from(m.encode()));
    await polled.client.rpush(polled.keys.queue("default"), "quiet-1");
    await eventually(() => seen.length === 1, 5000, "the quiet message ran");
    expect(seen[0]! - quietAt).toBeLessThan(2000);
  });

  test("the heartbeat runs on its own timer while the worker is idle", async () => {
    const b = broker({ heartbeatTimeout: 400 });
    actor(() => undefined, { broker: b, actorName: "a" });
    await worker(b, { workerTimeout: 10_000 });
    await eventually(
      async () => (await b.client.zscore(b.keys.heartbeats, b.brokerId)) !== null,
      2000,
      "a first heartbeat",
    );
    const first = Number(await b.client.zscore(b.keys.heartbeats, b.brokerId));
    await sleep(500);
    const later = Number(await b.client.zscore(b.keys.heartbeats, b.brokerId));
    expect(later).toBeGreaterThan(first);
  });

  test("the messages a dead worker held come back, and maintenance uses no KEYS command", async () => {
    const namespace = `test-${randomUUID()}`;
    const dying = makeBroker({ namespace, heartbeatTimeout: 500 });
    const ids: string[] = [];
    const job = actor((_n: number) => undefined, { broker: dying, actorName: "job" });
    for (let i = 0; i < 6; i++) ids.push((await job.send(i)).messageId);
    // The dying worker fetches four and then stops beating without settling them.
    const consumer = dying.consume("default", { prefetch: 4 });
    const held = await consumer.fetch(4, { timeout: 1000 });
    expect(held).toHaveLength(4);
    await dying.heartbeat();
    await dying.close();

    const keysBefore = await keysCalls(dying);
    const survivor = broker({ namespace, heartbeatTimeout: 500 });
    const done: string[] = [];
    actor((_n: number) => void done.push("x"), { broker: survivor, actorName: "job" });
    await worker(survivor);
    await eventually(() => done.length === 6, 10_000, "all six processed");
    expect(logs.some((l) => l.msg.includes("held by dead workers"))).toBe(true);
    expect(await keysCalls(dying)).toBe(keysBefore);
    expect(await survivor.client.zscore(survivor.keys.heartbeats, dying.brokerId)).toBeNull();
  });

  test("a worker process killed with SIGKILL loses nothing: its messages come back and are processed", async () => {
    const namespace = `test-${randomUUID()}`;
    const b = broker({ namespace, heartbeatTimeout: 1000 });
    const processed = new Set<number>();
    const hold = actor((n: number) => void processed.add(n), {
      broker: b,
      actorName: "hold",
      queueName: "jobs",
    });
    for (let i = 0; i < 20; i++) await hold.send(i);

    const started = new Set<number>();
    const child = fork(
      fileURLToPath(new URL("../fixtures/worker.mjs", import.meta.url)),
      [inject("redisUrl"), namespace],
      {
        env: { ...process.env, TASKQ_LOG_LEVEL: "error" },
        stdio: ["ignore", "ignore", "inherit", "ipc"],
      },
    );
    cleanups.push(async () => child.kill("SIGKILL"));
    child.on("message", (m: { started?: number }) => {
      if (m.started !== undefined) started.add(m.started);
    });
    await eventually(() => started.size === 4, 15_000, "the child to start four messages");
    await eventually(
      async () => (await b.getQueueMessageCounts("jobs")).ready === 12,
      5000,
      "the child to prefetch eight",
    );
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    await worker(b, { concurrency: 8 });
    await eventually(() => processed.size === 20, 20_000, "all twenty processed");
    for (const n of started) expect(processed.has(n)).toBe(true);
  });

  test("dead letters expire after deadMessageTtl", async () => {
    const b = broker({ deadMessageTtl: 300 });
    const bad = actor(
      () => {
        throw new Error("dead");
      },
      { broker: b, actorName: "bad", maxRetries: 0 },
    );
    await worker(b);
    await bad.send();
    await eventually(
      async () => (await b.getQueueMessageCounts("default")).dead === 1,
      5000,
      "a dead letter",
    );
    await sleep(400);
    await b.maintain();
    expect((await b.getQueueMessageCounts("default")).dead).toBe(0);
    expect(await b.client.hlen(b.keys.deadMessages("default"))).toBe(0);
  });

  test("one maintenance run drops every expired dead letter (2,500 of them, in bounded batches) and keeps the fresh ones", async () => {
    const b = broker({ deadMessageTtl: 60_000 });
    b.declareQueue("default");
    const old = Date.now() - 120_000;
    const batch = b.client.pipeline();
    for (let i = 0; i < 2500; i++) {
      batch.zadd(b.keys.dead("default"), old + i, `old-${i}`);
      batch.hset(b.keys.deadMessages("default"), `old-${i}`, "{}");
    }
    for (let i = 0; i < 3; i++) {
      batch.zadd(b.keys.dead("default"), Date.now(), `fresh-${i}`);
      batch.hset(b.keys.deadMessages("default"), `fresh-${i}`, "{}");
    }
    await batch.exec();
    await b.maintain();
    expect(await b.client.zrange(b.keys.dead("default"), "0", "-1")).toEqual([
      "fresh-0",
      "fresh-1",
      "fresh-2",
    ]);
    expect(await b.client.hlen(b.keys.deadMessages("default"))).toBe(3);
    expect(logs.some((l) => l.msg === "Dropped 2500 expired dead letter(s).")).toBe(true);
  });

  test("delayed messages survive a worker restart, and run after their delay", async () => {
    const namespace = `test-${randomUUID()}`;
    const b = broker({ namespace });
    const ran: number[] = [];
    const later = actor(() => void ran.push(Date.now()), { broker: b, actorName: "later" });
    const first = new Worker(b, { workerTimeout: 100 });
    await first.start();
    const sentAt = Date.now();
    await later.sendWithOptions({ delay: 1500 });
    await eventually(
      async () => (await b.getQueueMessageCounts("default")).delayed === 0,
      5000,
      "the worker to hold it",
    );
    await first.stop({ timeout: 5000 });
    expect((await b.getQueueMessageCounts("default")).delayed).toBe(1);
    expect(ran).toEqual([]);
    await worker(b);
    await eventually(() => ran.length === 1, 10_000, "the delayed message ran");
    expect(ran[0]! - sentAt).toBeGreaterThanOrEqual(1400);
  });

  test("an unreachable Redis is a clear ConnectionFailed naming the address", async () => {
    const b = new RedisBroker({
      url: "redis://127.0.0.1:1",
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    cleanups.push(() => b.close());
    const a = actor(() => undefined, { broker: b, actorName: "a" });
    const error = await a.send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toMatch(/on Redis at 127\.0\.0\.1:1/);
  });
});

async function keysCalls(_b: RedisBroker): Promise<number> {
  const probe = new Redis(inject("redisUrl"));
  try {
    const match = /cmdstat_keys:calls=(\d+)/.exec(await probe.info("commandstats"));
    return match ? Number(match[1]) : 0;
  } finally {
    probe.disconnect();
  }
}
