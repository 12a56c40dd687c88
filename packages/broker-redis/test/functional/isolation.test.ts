// Isolated actors (DESIGN §16) on a real Redis: the pool thread imports the fixture module
// with plain Node, so this runs the built packages (dist/).
import { randomUUID } from "node:crypto";
import type { Message } from "@taskq/core";
import { cancel, Worker } from "@taskq/core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { captureLogs, eventually } from "../helpers.js";

type Fixture = typeof import("../fixtures/isolated-actors.mjs");
let fx: Fixture;
let worker: Worker;

beforeAll(async () => {
  captureLogs();
  process.env.TASKQ_ISOLATION_REDIS_URL = inject("redisUrl");
  process.env.TASKQ_ISOLATION_NS = `test-iso-${randomUUID()}`;
  fx = await import("../fixtures/isolated-actors.mjs");
  worker = new Worker(fx.broker, { concurrency: 2 });
  await worker.start();
});
afterAll(async () => {
  await worker?.stop({ timeout: 5000 });
  await fx?.broker.close();
});

const result = (m: { getResult(o: object): Promise<unknown> }) =>
  m.getResult({ backend: fx.results, block: true, timeout: 20_000 });

describe("isolation on Redis", () => {
  test("a runaway actor is terminated at its time limit and retried; other messages keep flowing", async () => {
    const started = Date.now();
    const spinning = await fx.spin.send();
    const sums = await Promise.all([1, 2, 3].map((i) => fx.add.send(i, 10)));
    expect(await Promise.all(sums.map(result))).toEqual([11, 12, 13]);
    await fx.broker.join("default", { timeout: 20_000 });
    // Two attempts of 1 s each (maxRetries 1), each terminated within 2 s.
    expect(Date.now() - started).toBeLessThan(2 * 2000 + 2000);
    const dead = await fx.broker.getDeadLetters("default", { limit: 10 });
    expect(dead.map((d) => d.message?.messageId)).toEqual([spinning.messageId]);
    expect(dead[0]?.message?.options.retries).toBe(1);
    expect(String(dead[0]?.message?.options.traceback)).toMatch(/^TimeLimitExceeded/);
    await fx.broker.flush("default");
  });

  test("retries, results and errors (type and message; throws by name) behave as without isolation", async () => {
    const m = await fx.attempts.send();
    expect(await result(m)).toBe(1);

    const f = await fx.fatal.send();
    let letter: Message | null | undefined;
    await eventually(async () => {
      const dead = await fx.broker.getDeadLetters("default", { limit: 10 });
      letter = dead.find((d) => d.message?.messageId === f.messageId)?.message;
      return letter != null;
    }, 20_000);
    // throws: Fatal matched by name: dead at once, never retried despite maxRetries 5.
    expect(letter?.options.retries).toBeUndefined();
    // The stored result says what failed, as without isolation.
    await expect(result(f)).rejects.toMatchObject({
      name: "ResultFailure",
      origExcType: "Fatal",
      origExcMsg: "no such user",
    });
    await fx.broker.flush("default");
  });

  test("a CPU-bound isolated actor does not stop heartbeats or delay other messages", async () => {
    const scores: number[] = [];
    const poll = setInterval(() => {
      void fx.broker.client
        .zscore(`${fx.broker.namespace}:__heartbeats__`, fx.broker.brokerId)
        .then((s) => {
          if (s !== null && Number(s) !== scores.at(-1)) scores.push(Number(s));
        });
    }, 50);
    try {
      await fx.burn.send(4000);
      await new Promise((r) => setTimeout(r, 300));
      const starts: number[] = [];
      for (let i = 0; i < 5; i++) {
        const sent = Date.now();
        expect(await result(await fx.noop.send())).toBeNull();
        starts.push(Date.now() - sent);
      }
      await fx.broker.join("default", { timeout: 20_000 });
      // No-op round trips while the burn runs stay far below its 4 s.
      expect(Math.max(...starts)).toBeLessThan(1500);
    } finally {
      clearInterval(poll);
    }
    const gaps = scores.slice(1).map((s, i) => s - (scores[i] as number));
    expect(gaps.length).toBeGreaterThan(4);
    // Heartbeats every heartbeatTimeout / 4 = 500 ms; never near the 2 s timeout.
    expect(Math.max(...gaps)).toBeLessThan(1500);
  });

  test("setProgress() in the thread lands in the message's state while it runs", async () => {
    const m = await fx.halfway.send(1500);
    let progress: unknown;
    await eventually(async () => {
      const state = await fx.states.get(m.messageId);
      progress = state?.status === "started" ? state.progress : undefined;
      return progress !== undefined;
    }, 20_000);
    expect(progress).toBe(0.5);
    expect(await result(m)).toBe("done");
    expect((await fx.states.waitFor(m.messageId, "success", { timeout: 20_000 })).progress).toBe(
      0.5,
    );
  });

  test("a cancel terminates a spinning isolated call within 2 s; canceled, never retried or dead-lettered", async () => {
    const m = await fx.spinUntilCanceled.send();
    await fx.states.waitFor(m.messageId, "started", { timeout: 20_000 });
    const canceledAt = Date.now();
    await cancel([m.messageId], { broker: fx.broker });
    const state = await fx.states.waitFor(m.messageId, "canceled", { timeout: 20_000 });
    expect(Date.now() - canceledAt).toBeLessThan(2000);
    expect(state.retries).toBe(0);
    // The worker keeps processing: both slots run isolated actors again.
    const sums = await Promise.all([fx.add.send(1, 1), fx.add.send(2, 2)]);
    expect(await Promise.all(sums.map(result))).toEqual([2, 4]);
    await fx.broker.join("default", { timeout: 20_000 });
    expect(await fx.broker.getDeadLetters("default", { limit: 10 })).toEqual([]);
    expect((await fx.states.get(m.messageId))?.status).toBe("canceled");
  });

  test("getAbortSignal() in the thread aborts with TimeLimitExceeded, and with Canceled on a cancel", async () => {
    const channel = new BroadcastChannel(fx.SIGNAL_REPORTS);
    const reports: Array<Record<string, unknown>> = [];
    channel.onmessage = (e) => reports.push((e as MessageEvent).data);
    try {
      await fx.cooperative.send("timed");
      await eventually(() => reports.some((r) => r.tag === "timed"), 20_000);
      expect(reports.find((r) => r.tag === "timed")).toMatchObject({
        name: "TimeLimitExceeded",
        message: "cooperative exceeded its time limit of 1000 ms",
      });
      const c = await fx.cooperative.send("canceled");
      await fx.states.waitFor(c.messageId, "started", { timeout: 20_000 });
      await cancel([c.messageId], { broker: fx.broker });
      await eventually(() => reports.some((r) => r.tag === "canceled"), 20_000);
      expect(reports.find((r) => r.tag === "canceled")).toMatchObject({ name: "Canceled" });
      await fx.states.waitFor(c.messageId, "canceled", { timeout: 20_000 });
      await fx.broker.join("default", { timeout: 20_000 });
      await fx.broker.flush("default");
    } finally {
      channel.close();
    }
  });
});
