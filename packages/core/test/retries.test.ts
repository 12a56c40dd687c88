import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Message } from "../src/index.js";
import {
  actor,
  ConcurrentRateLimiter,
  computeBackoff,
  InvalidArgument,
  Middleware,
  Retries,
  Retry,
  StubBroker,
  StubRateLimiterBackend,
  Worker,
} from "../src/index.js";
import { captureLogs, eventually, sleep } from "./helpers.js";

let broker: StubBroker;
let worker: Worker;
let logs: ReturnType<typeof captureLogs>;

beforeEach(async () => {
  logs = captureLogs();
  broker = new StubBroker();
});

afterEach(async () => {
  await worker?.stop({ timeout: 2000 });
});

async function startWorker(): Promise<void> {
  worker = new Worker(broker, { workerTimeout: 50 });
  await worker.start();
}

describe("Retries", () => {
  test("maxRetries: 3 gives exactly 4 attempts, then a dead letter", async () => {
    let attempts = 0;
    const flaky = actor(
      () => {
        attempts++;
        throw new Error("boom");
      },
      { broker, actorName: "flaky", maxRetries: 3, minBackoff: 1, maxBackoff: 5 },
    );
    await startWorker();
    await flaky.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(attempts).toBe(4);
    expect(broker.deadLetters).toHaveLength(1);
    const dead = broker.deadLetters[0]!;
    expect(dead.message?.options.retries).toBe(3);
    expect((dead.exception as Error).message).toBe("boom");
    expect(logs.some((l) => l.level === "warn" && l.msg.includes("Retries exceeded"))).toBe(true);
  });

  test("join with failFast re-throws the dead message's error once", async () => {
    const bad = actor(
      () => {
        throw new RangeError("out of range");
      },
      { broker, actorName: "bad", maxRetries: 0 },
    );
    await startWorker();
    await bad.send();
    await expect(broker.join("default")).rejects.toThrow(RangeError);
    await expect(broker.join("default")).resolves.toBeUndefined();
  });

  test("retryWhen decides instead of maxRetries and sees the retry count and error", async () => {
    const calls: [number, string][] = [];
    let attempts = 0;
    const a = actor(
      () => {
        attempts++;
        throw new Error(`attempt ${attempts}`);
      },
      {
        broker,
        actorName: "a",
        maxRetries: 100,
        minBackoff: 1,
        retryWhen: (retries, error) => {
          calls.push([retries, (error as Error).message]);
          return retries < 2;
        },
      },
    );
    await startWorker();
    await a.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(attempts).toBe(3);
    expect(calls).toEqual([
      [0, "attempt 1"],
      [1, "attempt 2"],
      [2, "attempt 3"],
    ]);
    expect(broker.deadLetters).toHaveLength(1);
  });

  test("a retryWhen that throws dead-letters the message instead of losing it", async () => {
    const a = actor(
      () => {
        throw new Error("x");
      },
      {
        broker,
        actorName: "a",
        retryWhen: () => {
          throw new Error("predicate bug");
        },
      },
    );
    await startWorker();
    await a.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(broker.deadLetters).toHaveLength(1);
  });

  test("an error listed in throws fails the message at once", async () => {
    class Fatal extends Error {}
    let attempts = 0;
    const a = actor(
      () => {
        attempts++;
        throw new Fatal("no point retrying");
      },
      { broker, actorName: "a", maxRetries: 5, minBackoff: 1, throws: [TypeError, Fatal] },
    );
    const b = actor(
      () => {
        attempts++;
        throw new Error("retried");
      },
      { broker, actorName: "b", maxRetries: 1, minBackoff: 1, throws: Fatal },
    );
    await startWorker();
    await a.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(attempts).toBe(1);
    await b.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(attempts).toBe(3);
  });

  test("throw new Retry({ delay: 100 }) retries after about 100 ms, without logging an error", async () => {
    const times: number[] = [];
    const a = actor(
      () => {
        times.push(Date.now());
        if (times.length === 1) throw new Retry({ delay: 100 });
      },
      { broker, actorName: "a" },
    );
    await startWorker();
    await a.send();
    await eventually(() => times.length === 2, 5000, "the retry");
    const gap = times[1]! - times[0]!;
    expect(gap).toBeGreaterThanOrEqual(95);
    expect(gap).toBeLessThan(1000);
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
  });

  test("zero backoff retries at once", async () => {
    let attempts = 0;
    const a = actor(
      () => {
        attempts++;
        throw new Error("again");
      },
      { broker, actorName: "a", maxRetries: 5, minBackoff: 0 },
    );
    await startWorker();
    const started = Date.now();
    await a.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(attempts).toBe(6);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test("onRetryExhausted is sent once, with the message and the retry counts", async () => {
    const received: [Record<string, unknown>, Record<string, unknown>][] = [];
    const exhausted = actor(
      (message: Record<string, unknown>, info: Record<string, unknown>) =>
        void received.push([message, info]),
      { broker, actorName: "exhausted" },
    );
    const a = actor(
      () => {
        throw new Error("nope");
      },
      { broker, actorName: "a", maxRetries: 2, minBackoff: 1, onRetryExhausted: exhausted },
    );
    await startWorker();
    const sent = await a.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    await sleep(50);
    expect(received).toHaveLength(1);
    const [message, info] = received[0]!;
    expect(message.message_id).toBe(sent.messageId);
    expect(message.actor_name).toBe("a");
    expect(info).toEqual({ retries: 2, max_retries: 2 });
  });

  test("a retry keeps the message id and timestamp and records retries and a traceback", async () => {
    const seen: Message[] = [];
    const a = actor(
      () => {
        throw new Error("fail");
      },
      { broker, actorName: "a", maxRetries: 1, minBackoff: 1 },
    );
    broker.addMiddleware(
      new (class extends (await import("../src/index.js")).Middleware {
        override afterEnqueue(_b: unknown, m: Message) {
          seen.push(m);
        }
      })(),
    );
    await startWorker();
    const sent = await a.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    const retry = seen.find((m) => m.options.retries === 1)!;
    expect(retry.messageId).toBe(sent.messageId);
    expect(retry.messageTimestamp).toBe(sent.messageTimestamp);
    expect(String(retry.options.traceback)).toContain("Error: fail");
    expect(typeof retry.options.requeue_timestamp).toBe("number");
  });

  test("an actor's maxBackoff caps the delay of the retry Retries schedules, eta included", async () => {
    const attempts: Record<string, number[]> = { exact: [], jittered: [] };
    const declare = (name: "exact" | "jittered", jitter: boolean) =>
      actor(
        () => {
          attempts[name]!.push(Date.now());
          if (attempts[name]!.length === 1) throw new Error("once");
        },
        // minBackoff alone would wait a minute: maxBackoff must win.
        { broker, actorName: name, minBackoff: 60_000, maxBackoff: 200, jitter },
      );
    const exact = declare("exact", false);
    const jittered = declare("jittered", true);
    const enqueued = recordEnqueues(broker);
    await startWorker();
    await exact.send();
    await jittered.send();
    await broker.join("default", { timeout: 10_000 });

    for (const name of ["exact", "jittered"] as const) {
      const retry = enqueued.find((e) => e.message.actorName === name && e.delay !== undefined)!;
      expect(retry.message.queueName).toBe("default.DQ");
      expect(retry.message.options.retries).toBe(1);
      const eta = retry.message.options.eta as number;
      const requeued = retry.message.options.requeue_timestamp as number;
      // The eta on the delay queue is the capped delay from the failure, not a minute.
      expect(eta - requeued).toBeGreaterThanOrEqual(retry.delay!);
      expect(eta - requeued).toBeLessThan(retry.delay! + 1000);
      const [first, second] = attempts[name]!;
      expect(second! - first!).toBeGreaterThanOrEqual(retry.delay! - 20);
      expect(second! - first!).toBeLessThan(5000);
    }
    const delayOf = (name: string) =>
      enqueued.find((e) => e.message.actorName === name && e.delay !== undefined)!.delay!;
    expect(delayOf("exact")).toBe(200);
    // With jitter, a delay past maxBackoff is drawn between half and all of it.
    expect(delayOf("jittered")).toBeGreaterThanOrEqual(100);
    expect(delayOf("jittered")).toBeLessThanOrEqual(200);
  });

  test("a message options override the actor's (maxRetries from sendWithOptions)", async () => {
    let attempts = 0;
    const a = actor(
      () => {
        attempts++;
        throw new Error("x");
      },
      { broker, actorName: "a", maxRetries: 10, minBackoff: 1 },
    );
    await startWorker();
    await a.sendWithOptions({ maxRetries: 0 });
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(attempts).toBe(1);
  });

  test("when the retry cannot be enqueued, the original is given back, not acked", async () => {
    let attempts = 0;
    const a = actor(
      () => {
        attempts++;
        throw new Error("x");
      },
      { broker, actorName: "a", maxRetries: 1, minBackoff: 1 },
    );
    // The broker refuses the first retry, as a broker in an outage would.
    const original = broker.enqueue.bind(broker);
    let refused = 0;
    broker.enqueue = (async (message, options) => {
      if (message.options.retries === 1 && refused === 0) {
        refused++;
        throw new Error("broker unavailable");
      }
      return original(message, options);
    }) as typeof broker.enqueue;
    await startWorker();
    await a.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(refused).toBe(1);
    // First attempt (retry refused, message given back), second attempt (retry ok), third (dead).
    expect(attempts).toBe(3);
    expect(broker.deadLetters).toHaveLength(1);
  });
});

/** Records every enqueue with its delay: retries show up here with their backoff. */
function recordEnqueues(b: StubBroker): { message: Message; delay: number | undefined }[] {
  const seen: { message: Message; delay: number | undefined }[] = [];
  b.addMiddleware(
    new (class extends Middleware {
      override afterEnqueue(_b: unknown, message: Message, delay: number | undefined) {
        seen.push({ message, delay });
      }
    })(),
  );
  return seen;
}

describe("rate-limited calls", () => {
  test("a RateLimitExceeded does not use up maxRetries: 6 calls under limit 2 all complete", async () => {
    const limiter = new ConcurrentRateLimiter(new StubRateLimiterBackend(), "api", { limit: 2 });
    let done = 0;
    const call = actor(
      async () => {
        await limiter.acquire(() => sleep(100));
        done++;
      },
      { broker, actorName: "call", maxRetries: 0 },
    );
    const enqueued = recordEnqueues(broker);
    worker = new Worker(broker, { workerTimeout: 50, concurrency: 8 });
    await worker.start();
    for (let i = 0; i < 6; i++) await call.send();
    await broker.join("default", { timeout: 15_000 });
    expect(done).toBe(6);
    expect(broker.deadLetters).toEqual([]);
    const retried = enqueued.filter((e) => e.message.options.rate_limit_retries !== undefined);
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((e) => e.message.options.retries === undefined)).toBe(true);
  });

  test("the retry comes back after rateLimitBackoff (doubling to rateLimitMaxBackoff, with jitter) and logs as rate-limited", async () => {
    const backend = new StubRateLimiterBackend();
    const limiter = new ConcurrentRateLimiter(backend, "mutex", { limit: 1 });
    let refusals = 0;
    const locked = actor(
      async () => {
        await limiter
          .acquire(() => "never here")
          .catch((err: unknown) => {
            refusals++;
            throw err;
          });
      },
      { broker, actorName: "locked", rateLimitBackoff: 20, rateLimitMaxBackoff: 100 },
    );
    const enqueued = recordEnqueues(broker);
    // Someone else holds the only slot for the whole test.
    const holder = limiter.acquire(() => eventually(() => refusals >= 5, 10_000, "5 refusals"));
    await startWorker();
    await locked.send();
    await holder;
    // Moves of due messages from the delay queue are enqueues too, without a delay.
    const retries = enqueued.filter((e) => e.delay !== undefined).slice(0, 4);
    const delays = retries.map((e) => e.delay!);
    expect(delays[0]).toBeGreaterThanOrEqual(20);
    expect(delays[0]).toBeLessThanOrEqual(40);
    expect(delays[1]).toBeGreaterThanOrEqual(40);
    expect(delays[1]).toBeLessThanOrEqual(80);
    // Past the cap: between half and all of rateLimitMaxBackoff, so waiters keep spreading out.
    for (const d of delays.slice(2)) {
      expect(d).toBeGreaterThanOrEqual(50);
      expect(d).toBeLessThanOrEqual(100);
    }
    expect(retries.map((e) => e.message.options.rate_limit_retries)).toEqual([1, 2, 3, 4]);
    const lines = logs.filter((l) => l.msg.includes("was rate-limited"));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines[0]!.level).toBe("info");
    expect(lines[0]!.msg).toMatch(/\(locked\) was rate-limited; retrying in \d+ milliseconds/);
    expect(logs.filter((l) => l.level === "error" || l.level === "warn")).toEqual([]);
  });

  test("rate-limit backoffs must be positive numbers, on Retries and on actors", () => {
    expect(() => new Retries({ rateLimitBackoff: 0 })).toThrow(InvalidArgument);
    expect(() => new Retries({ rateLimitMaxBackoff: Number.NaN })).toThrow(
      /Retries option rateLimitMaxBackoff must be a finite number > 0/,
    );
    expect(() => actor(() => 1, { broker, actorName: "x", rateLimitBackoff: -5 })).toThrow(
      /Option rateLimitBackoff of actor x must be a finite number > 0/,
    );
  });
});

describe("computeBackoff", () => {
  const base = { minBackoff: 100, maxBackoff: 10_000, maxRetries: 5, jitter: false } as const;

  test("exponential doubles from minBackoff and is capped at maxBackoff", () => {
    const values = [0, 1, 2, 3, 10].map((retries) =>
      computeBackoff({ ...base, retries, strategy: "exponential" }),
    );
    expect(values).toEqual([100, 200, 400, 800, 10_000]);
  });

  test("constant, linear, spread_linear and spread_exponential follow their shapes", () => {
    const at = (strategy: Parameters<typeof computeBackoff>[0]["strategy"]) =>
      [0, 1, 2, 3, 4].map((retries) => computeBackoff({ ...base, retries, strategy }));
    expect(at("constant")).toEqual([100, 100, 100, 100, 100]);
    expect(at("linear")).toEqual([100, 200, 300, 400, 500]);
    expect(at("spread_linear")).toEqual([100, 2575, 5050, 7525, 10_000]);
    expect(at("spread_exponential")).toEqual([100, 316, 1000, 3162, 10_000]);
  });
});
