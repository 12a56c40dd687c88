import {
  actor,
  Cancel,
  MessageState,
  StubBroker,
  StubCancelBackend,
  StubStateBackend,
  Worker,
} from "@taskq/core";
import { captureLogs } from "@taskq/core/testing";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createDashboard } from "../../src/index.js";
import { scriptPost, serve } from "../serve.js";

const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  captureLogs();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function withLifecycle() {
  const broker = new StubBroker();
  const states = new MessageState({ backend: new StubStateBackend() });
  const cancel = new Cancel({ backend: new StubCancelBackend() });
  broker.addMiddleware(states);
  broker.addMiddleware(cancel);
  const send = actor((_to: string) => undefined, {
    broker,
    actorName: "send_email",
    queueName: "emails",
  });
  return { broker, states, cancel, send };
}

/** Reads SSE events from a stream until `until` holds for one; returns the events seen. */
async function readEvents(
  res: Response,
  until: (event: string, data: unknown) => boolean,
): Promise<{ event: string; data: unknown }[]> {
  const reader = res.body!.getReader();
  const seen: { event: string; data: unknown }[] = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended; saw ${JSON.stringify(seen)}`);
    buffer += new TextDecoder().decode(value);
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "";
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") as unknown;
      seen.push({ event, data });
      if (until(event, data)) return seen;
      end = buffer.indexOf("\n\n");
    }
  }
}

/** Dead-letters `n` messages of actor `fail` on `jobs`, one after the other. */
async function deadLetter(broker: StubBroker, n: number): Promise<string[]> {
  const fail = actor(
    (_i: number) => {
      throw new Error("boom");
    },
    { broker, actorName: "fail", queueName: "jobs", maxRetries: 0 },
  );
  const worker = new Worker(broker, { workerTimeout: 50 });
  await worker.start();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push((await fail.send(i)).messageId);
    await broker.join("jobs", { failFast: false });
    await new Promise((r) => setTimeout(r, 5));
  }
  await worker.stop();
  return ids;
}

describe("dashboard actions on StubBroker", () => {
  test("cancel: a pending message ends canceled; unknown ids 404; without Cancel 501", async () => {
    const { broker, states, cancel, send } = withLifecycle();
    const s = await serve({ broker, states, cancel });
    cleanups.push(() => s.close());
    const message = await send.send("<b>x</b>");
    const res = await s.call(`/api/messages/${message.messageId}/cancel`, scriptPost());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      messageId: message.messageId,
      outcome: "canceled",
      status: "pending",
    });
    expect((await states.get(message.messageId))?.status).toBe("canceled");
    const unknown = await s.call("/api/messages/no-such-id/cancel", scriptPost());
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "TASKQ_UNKNOWN_MESSAGE" });
    const get = await s.call(`/api/messages/${message.messageId}/cancel`);
    expect(get.status).toBe(405);

    const bare = await serve({ broker, states });
    cleanups.push(() => bare.close());
    const off = await bare.call(`/api/messages/${message.messageId}/cancel`, scriptPost());
    expect(off.status).toBe(501);
    expect(await off.json()).toMatchObject({ code: "TASKQ_NOT_CONFIGURED" });

    const readOnly = await serve({ broker, states, cancel, readOnly: true });
    cleanups.push(() => readOnly.close());
    const refused = await readOnly.call(`/api/messages/${message.messageId}/cancel`, scriptPost());
    expect(refused.status).toBe(403);
  });

  test("a Cancel that is not on the broker is refused when the dashboard is made", () => {
    const broker = new StubBroker();
    const cancel = new Cancel({ backend: new StubCancelBackend() });
    expect(() => createDashboard({ broker, cancel })).toThrow(/cancel must be a Cancel middleware/);
    expect(() => createDashboard({ broker, cancel: {} as never })).toThrow(/cancel/);
  });

  test("/api/events sends a state event when a message's status changes", async () => {
    const { broker, states, cancel, send } = withLifecycle();
    const s = await serve({ broker, states, cancel });
    cleanups.push(() => s.close());
    const message = await send.send("a");
    const controller = new AbortController();
    cleanups.push(async () => controller.abort());
    const res = await s.call("/api/events", { signal: controller.signal });
    // The first poll only learns the statuses; a cancel after it is a change.
    await new Promise((r) => setTimeout(r, 1500));
    await s.call(`/api/messages/${message.messageId}/cancel`, scriptPost());
    const seen = await readEvents(
      res,
      (event, data) =>
        event === "state" && (data as { messageId: string }).messageId === message.messageId,
    );
    expect(seen.at(-1)!.data).toEqual({ messageId: message.messageId, status: "canceled" });
    expect(seen.filter((e) => e.event === "state")).toHaveLength(1);
  });

  test("dead letters: newest first with failedAt, paged; requeue and purge by id; unknown ids 404", async () => {
    const broker = new StubBroker();
    const before = Date.now();
    const ids = await deadLetter(broker, 3);
    const s = await serve({ broker });
    cleanups.push(() => s.close());
    const page = (await (await s.call("/api/queues/jobs/dead-letters?limit=2")).json()) as {
      total: number;
      items: Record<string, unknown>[];
    };
    expect(page.total).toBe(3);
    expect(page.items.map((i) => i.messageId)).toEqual([ids[2], ids[1]]);
    expect(page.items[0]).toMatchObject({
      actorName: "fail",
      queueName: "jobs",
      args: [2],
      kwargs: {},
    });
    expect(page.items[0]!.error).toContain("boom");
    expect(page.items[0]!.failedAt as number).toBeGreaterThanOrEqual(before);
    const rest = (await (
      await s.call("/api/queues/jobs/dead-letters?offset=2&limit=2")
    ).json()) as {
      items: { messageId: string }[];
    };
    expect(rest.items.map((i) => i.messageId)).toEqual([ids[0]]);

    const one = await s.call(
      "/api/queues/jobs/dead-letters/requeue",
      scriptPost({ ids: [ids[1]] }),
    );
    expect(await one.json()).toEqual({ requeued: 1, notFound: 0 });
    expect(await broker.getQueueMessageCounts("jobs")).toMatchObject({ ready: 1, dead: 2 });
    const consumer = broker.consume("jobs");
    const [back] = await consumer.fetch(1, { timeout: 1000 });
    expect(back!.messageId).toBe(ids[1]);
    await consumer.ack(back!);
    await consumer.close();

    const unknown = await s.call(
      "/api/queues/jobs/dead-letters/requeue",
      scriptPost({ ids: ["nope"] }),
    );
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "TASKQ_UNKNOWN_MESSAGE" });
    const purged = await s.call(
      "/api/queues/jobs/dead-letters/purge",
      scriptPost({ ids: [ids[0], "nope"] }),
    );
    expect(await purged.json()).toEqual({ purged: 1, notFound: 1 });
    const left = (await (await s.call("/api/queues/jobs/dead-letters")).json()) as {
      items: { messageId: string }[];
    };
    expect(left.items.map((i) => i.messageId)).toEqual([ids[2]]);
    const bad = await s.call("/api/queues/jobs/dead-letters/purge", scriptPost({ ids: [1] }));
    expect(bad.status).toBe(400);
  });

  test("/api/workers on a broker without heartbeats: 501 'not available', not a crash", async () => {
    const s = await serve({ broker: new StubBroker() });
    cleanups.push(() => s.close());
    const res = await s.call("/api/workers");
    expect(res.status).toBe(501);
    expect(await res.json()).toMatchObject({ code: "TASKQ_NOT_SUPPORTED" });
  });
});
