import { randomUUID } from "node:crypto";
import { RabbitmqBroker } from "@taskq/broker-rabbitmq";
import { actor, Worker } from "@taskq/core";
import { captureLogs } from "@taskq/core/testing";
import { afterEach, beforeEach, describe, expect, inject, test } from "vitest";
import { scriptPost, serve } from "../serve.js";

const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  captureLogs();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function rabbitBroker(): RabbitmqBroker {
  const b = new RabbitmqBroker({ url: inject("amqpUrl") });
  cleanups.push(async () => {
    await b.flushAll();
    await b.close();
  });
  return b;
}

describe("dashboard API on RabbitMQ", () => {
  test("counts, dead letters listed then requeued, pause and resume", async () => {
    const b = rabbitBroker();
    const queue = `dash-${randomUUID().slice(0, 8)}`;
    const fail = actor(
      (_label: string) => {
        throw new Error("boom");
      },
      { broker: b, actorName: `fail_${queue}`, queueName: queue, maxRetries: 0 },
    );
    await fail.send("<script>x</script>");
    const w = new Worker(b, { queues: [queue], workerTimeout: 100 });
    await w.start();
    await b.join(queue, { timeout: 30_000 });
    await w.stop();
    await fail.send("waiting");

    const s = await serve({ broker: b });
    cleanups.push(() => s.close());
    const queues = (await (await s.call("/api/queues")).json()) as { name: string }[];
    expect(queues.find((q) => q.name === queue)).toEqual({
      name: queue,
      ready: 1,
      delayed: 0,
      dead: 1,
      inProgress: 0,
      paused: false,
    });
    const dead = (await (await s.call(`/api/queues/${queue}/dead-letters`)).json()) as {
      total: number;
      items: { args: unknown[] }[];
    };
    expect(dead.total).toBe(1);
    expect(dead.items[0]!.args).toEqual(["<script>x</script>"]);
    const requeued = await s.call(`/api/queues/${queue}/dead-letters/requeue`, scriptPost());
    expect(await requeued.json()).toEqual({ requeued: 1 });
    await expect
      .poll(async () => (await b.getQueueMessageCounts(queue)).ready, { timeout: 10_000 })
      .toBe(2);

    expect((await s.call(`/api/queues/${queue}/pause`, scriptPost())).status).toBe(200);
    expect(await b.pausedQueues()).toContain(queue);
    expect((await s.call(`/api/queues/${queue}/resume`, scriptPost())).status).toBe(200);
    expect(await b.pausedQueues()).not.toContain(queue);
  });

  test("dead letters oldest first with failedAt; requeue one by id; workers not available", async () => {
    const b = rabbitBroker();
    const queue = `dash-${randomUUID().slice(0, 8)}`;
    const fail = actor(
      (_n: number) => {
        throw new Error("boom");
      },
      { broker: b, actorName: `fail_${queue}`, queueName: queue, maxRetries: 0 },
    );
    const before = Date.now() - 1000;
    const ids: string[] = [];
    const w = new Worker(b, { queues: [queue], workerTimeout: 100 });
    await w.start();
    for (let n = 0; n < 3; n++) {
      ids.push((await fail.send(n)).messageId);
      await b.join(queue, { timeout: 30_000 });
      await expect
        .poll(async () => (await b.getQueueMessageCounts(queue)).dead, { timeout: 10_000 })
        .toBe(n + 1);
    }
    await w.stop();
    const s = await serve({ broker: b });
    cleanups.push(() => s.close());
    const page = (await (
      await s.call(`/api/queues/${queue}/dead-letters?offset=1&limit=2`)
    ).json()) as {
      total: number;
      items: { messageId: string; failedAt: number | null }[];
    };
    expect(page.total).toBe(3);
    // RabbitMQ hands a queue out in order only: oldest first (README: a departure from §14).
    expect(page.items.map((i) => i.messageId)).toEqual([ids[1], ids[2]]);
    expect(page.items[0]!.failedAt!).toBeGreaterThanOrEqual(before);

    const one = await s.call(
      `/api/queues/${queue}/dead-letters/requeue`,
      scriptPost({ ids: [ids[1]] }),
    );
    expect(await one.json()).toEqual({ requeued: 1, notFound: 0 });
    await expect
      .poll(async () => (await b.getQueueMessageCounts(queue)).ready, { timeout: 10_000 })
      .toBe(1);
    const left = (await (await s.call(`/api/queues/${queue}/dead-letters`)).json()) as {
      items: { messageId: string }[];
    };
    expect(left.items.map((i) => i.messageId)).toEqual([ids[0], ids[2]]);
    const unknown = await s.call(
      `/api/queues/${queue}/dead-letters/purge`,
      scriptPost({ ids: ["nope"] }),
    );
    expect(unknown.status).toBe(404);

    const workers = await s.call("/api/workers");
    expect(workers.status).toBe(501);
    expect(await workers.json()).toMatchObject({ code: "TASKQ_NOT_SUPPORTED" });
  });
});
