// Isolated actors (DESIGN §16) on a real Redis: the pool thread imports the fixture module
// with plain Node, so this runs the built packages (dist/).
import { randomUUID } from "node:crypto";
import type { Message } from "@taskq/core";
import { Worker } from "@taskq/core";
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
});
