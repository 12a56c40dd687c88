import { randomUUID } from "node:crypto";
import { RedisBroker } from "@taskq/broker-redis";
import { actor, Worker } from "@taskq/core";
import { captureLogs } from "@taskq/core/testing";
import { Scheduler } from "@taskq/scheduler";
import { afterEach, beforeEach, describe, expect, inject, test } from "vitest";
import type { DashboardOptions } from "../../src/index.js";
import { scriptPost, serve } from "../serve.js";

const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  captureLogs();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function redisBroker(namespace = `dash-${randomUUID()}`): RedisBroker {
  const b = new RedisBroker({ url: inject("redisUrl"), namespace });
  cleanups.push(async () => {
    await b.flushAll();
    await b.close();
  });
  return b;
}

async function served(options: DashboardOptions) {
  const s = await serve(options);
  cleanups.push(() => s.close());
  return s;
}

/** Dead-letters `n` messages of actor `fail` (it always throws, no retries). */
async function deadLetter(b: RedisBroker, n: number): Promise<string[]> {
  const fail = actor(
    (_i: number, _label: string) => {
      throw new Error("boom");
    },
    { broker: b, actorName: "fail", queueName: "jobs", maxRetries: 0 },
  );
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await fail.send(i, "<script>alert(1)</script>")).messageId);
  const w = new Worker(b, { workerTimeout: 100 });
  await w.start();
  await b.join("jobs", { timeout: 30_000 });
  await w.stop();
  return ids;
}

describe("dashboard API on Redis", () => {
  test("queues show ready, delayed and dead counts from the server", async () => {
    const b = redisBroker();
    await deadLetter(b, 2);
    const job = b.getActor("fail");
    await job.send(9, "x");
    await job.sendWithOptions({ args: [10, "y"], delay: 600_000 });
    const s = await served({ broker: b });
    const res = await s.call("/api/queues");
    expect(await res.json()).toEqual([
      { name: "jobs", ready: 1, delayed: 1, dead: 2, inProgress: 0, paused: false },
    ]);
  });

  test("dead letters page with a total; requeue puts them back on their queue with their ids", async () => {
    const b = redisBroker();
    const ids = await deadLetter(b, 3);
    const s = await served({ broker: b });
    const page = (await (await s.call("/api/queues/jobs/dead-letters?limit=2")).json()) as {
      total: number;
      items: { messageId: string; actorName: string; args: unknown[]; error?: string }[];
    };
    expect(page.total).toBe(3);
    expect(page.items).toHaveLength(2);
    expect(page.items[0]).toMatchObject({ actorName: "fail", queueName: "jobs" });
    expect(page.items[0]!.args[1]).toBe("<script>alert(1)</script>");
    const rest = (await (
      await s.call("/api/queues/jobs/dead-letters?offset=2&limit=2")
    ).json()) as {
      items: { messageId: string }[];
    };
    expect([...page.items, ...rest.items].map((i) => i.messageId).sort()).toEqual([...ids].sort());

    const requeued = await s.call("/api/queues/jobs/dead-letters/requeue", scriptPost());
    expect(await requeued.json()).toEqual({ requeued: 3 });
    expect(await b.getQueueMessageCounts("jobs")).toMatchObject({ ready: 3, dead: 0 });
  });

  test("dead letters newest first with failedAt; requeue and purge by id; unknown ids 404", async () => {
    const b = redisBroker();
    const before = Date.now();
    const ids = await deadLetter(b, 3);
    const s = await served({ broker: b });
    const page = (await (await s.call("/api/queues/jobs/dead-letters?limit=3")).json()) as {
      items: { messageId: string; failedAt: number; error?: string }[];
    };
    const times = page.items.map((i) => i.failedAt);
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    expect(times.at(-1)!).toBeGreaterThanOrEqual(before);
    expect(page.items[0]!.error).toContain("boom");

    const one = await s.call(
      "/api/queues/jobs/dead-letters/requeue",
      scriptPost({ ids: [ids[1]] }),
    );
    expect(await one.json()).toEqual({ requeued: 1, notFound: 0 });
    expect(await b.getQueueMessageCounts("jobs")).toMatchObject({ ready: 1, dead: 2 });
    const consumer = b.consume("jobs", { prefetch: 1, timeout: 100 });
    let got = await consumer.fetch(1, { timeout: 1000 });
    while (got.length === 0) got = await consumer.fetch(1, { timeout: 1000 });
    expect(got[0]!.messageId).toBe(ids[1]);
    await consumer.ack(got[0]!);
    await consumer.close();

    const unknown = await s.call(
      "/api/queues/jobs/dead-letters/purge",
      scriptPost({ ids: ["nope"] }),
    );
    expect(unknown.status).toBe(404);
    const some = await s.call("/api/queues/jobs/dead-letters/purge", scriptPost({ ids: [ids[0]] }));
    expect(await some.json()).toEqual({ purged: 1, notFound: 0 });
    const left = (await (await s.call("/api/queues/jobs/dead-letters")).json()) as {
      total: number;
      items: { messageId: string }[];
    };
    expect(left).toMatchObject({ total: 1, items: [{ messageId: ids[2] }] });
    const bad = await s.call("/api/queues/jobs/dead-letters/purge", scriptPost({ ids: "all" }));
    expect(bad.status).toBe(400);
    const all = await s.call("/api/queues/jobs/dead-letters/purge", scriptPost());
    expect(await all.json()).toEqual({ purged: 1 });
    expect((await b.getQueueMessageCounts("jobs")).dead).toBe(0);
  });

  test("GET /api/workers lists the workers alive by heartbeat with their queues", async () => {
    const namespace = `dash-${randomUUID()}`;
    const b = redisBroker(namespace);
    const reader = redisBroker(namespace);
    reader.declareQueue("jobs");
    const job = actor(() => undefined, { broker: b, actorName: "job", queueName: "jobs" });
    await job.send();
    const w = new Worker(b, { workerTimeout: 100 });
    await w.start();
    cleanups.push(() => w.stop());
    await b.join("jobs", { timeout: 30_000 });
    const s = await served({ broker: reader });
    const workers = (await (await s.call("/api/workers")).json()) as {
      id: string;
      lastSeen: number;
      queues: string[];
    }[];
    const mine = workers.find((x) => x.id === b.brokerId);
    expect(mine).toMatchObject({ queues: ["jobs"] });
    expect(Math.abs(Date.now() - mine!.lastSeen)).toBeLessThan(60_000);
  });

  test("pause through the API is seen by every broker on the server", async () => {
    const namespace = `dash-${randomUUID()}`;
    const b = redisBroker(namespace);
    b.declareQueue("jobs");
    const other = redisBroker(namespace);
    const s = await served({ broker: b });
    expect((await s.call("/api/queues/jobs/pause", scriptPost())).status).toBe(200);
    expect(await other.pausedQueues()).toEqual(["jobs"]);
    const listed = (await (await s.call("/api/queues")).json()) as { paused: boolean }[];
    expect(listed[0]!.paused).toBe(true);
    expect((await s.call("/api/queues/jobs/resume", scriptPost())).status).toBe(200);
    expect(await other.pausedQueues()).toEqual([]);
  });

  test("schedules are listed and Trigger enqueues one message now; unknown names are 404", async () => {
    const b = redisBroker();
    const tick = actor(() => undefined, { broker: b, actorName: "tick", queueName: "jobs" });
    const scheduler = new Scheduler({ broker: b });
    await scheduler.every("heartbeat", tick, 3_600_000);
    const s = await served({ broker: b, scheduler });
    const list = (await (await s.call("/api/schedules")).json()) as { name: string }[];
    expect(list.map((e) => e.name)).toEqual(["heartbeat"]);
    const res = await s.call("/api/schedules/heartbeat/trigger", scriptPost());
    expect(res.status).toBe(200);
    const { messageId } = (await res.json()) as { messageId: string };
    expect((await b.getQueueMessageCounts("jobs")).ready).toBe(1);
    expect((await scheduler.list())[0]).toMatchObject({ lastMessageId: messageId });
    const unknown = await s.call("/api/schedules/nope/trigger", scriptPost());
    expect(unknown.status).toBe(404);
  });
});
