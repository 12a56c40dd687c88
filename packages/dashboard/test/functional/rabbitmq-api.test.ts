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
});
