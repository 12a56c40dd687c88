import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { MessageProxy } from "../src/index.js";
import {
  actor,
  getAbortSignal,
  Middleware,
  Shutdown,
  StubBroker,
  TimeLimitExceeded,
  Worker,
} from "../src/index.js";
import { captureLogs, eventually, gate, sleep } from "./helpers.js";

let broker: StubBroker;
let worker: Worker | undefined;
let logs: ReturnType<typeof captureLogs>;

beforeEach(() => {
  logs = captureLogs();
  broker = new StubBroker();
  worker = undefined;
});

afterEach(async () => {
  await worker?.stop({ timeout: 2000 });
});

async function startWorker(options: ConstructorParameters<typeof Worker>[1] = {}): Promise<Worker> {
  worker = new Worker(broker, { workerTimeout: 50, ...options });
  await worker.start();
  return worker;
}

describe("AgeLimit", () => {
  test("a message older than maxAge is skipped and dead-lettered; a fresh one runs", async () => {
    const ran: string[] = [];
    const skipped: string[] = [];
    broker.addMiddleware(
      new (class extends Middleware {
        override afterSkipMessage(_b: unknown, m: MessageProxy) {
          skipped.push(m.messageId);
        }
      })(),
    );
    const a = actor((tag: string) => void ran.push(tag), { broker, actorName: "a", maxAge: 1000 });
    const old = a.message("old").copy({ messageTimestamp: Date.now() - 5000 });
    await broker.enqueue(old);
    await a.send("fresh");
    await startWorker();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(ran).toEqual(["fresh"]);
    expect(skipped).toEqual([old.messageId]);
    expect(broker.deadLetters.map((d) => d.message?.messageId)).toEqual([old.messageId]);
  });
});

describe("TimeLimit", () => {
  test("an actor over its timeLimit gets TimeLimitExceeded through its AbortSignal and is retried, then failed", async () => {
    const reasons: unknown[] = [];
    let attempts = 0;
    const slow = actor(
      async () => {
        attempts++;
        const signal = getAbortSignal();
        await new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => {
            reasons.push(signal.reason);
            resolve();
          });
        });
        throw signal.reason;
      },
      { broker, actorName: "slow", timeLimit: 50, maxRetries: 1, minBackoff: 1 },
    );
    await startWorker();
    const started = Date.now();
    await slow.send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(attempts).toBe(2);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toBeInstanceOf(TimeLimitExceeded);
    expect(broker.deadLetters).toHaveLength(1);
    expect(broker.deadLetters[0]!.exception).toBeInstanceOf(TimeLimitExceeded);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test("a function that ignores its time limit is failed on time but keeps its slot until it returns", async () => {
    const release = gate();
    const order: string[] = [];
    const stubborn = actor(
      async () => {
        order.push("stubborn start");
        await release.promise;
        order.push("stubborn end");
      },
      { broker, actorName: "stubborn", timeLimit: 50, maxRetries: 0 },
    );
    const next = actor(() => void order.push("next"), { broker, actorName: "next" });
    await startWorker({ concurrency: 1 });
    await stubborn.send();
    await next.send();
    // The message is dead-lettered at the deadline...
    await eventually(() => broker.deadLetters.length === 1, 5000, "the timed-out message is dead");
    expect(broker.deadLetters[0]!.exception).toBeInstanceOf(TimeLimitExceeded);
    // ...but the only slot stays taken: "next" cannot start before the function returns.
    await sleep(150);
    expect(order).toEqual(["stubborn start"]);
    release.open();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(order).toEqual(["stubborn start", "stubborn end", "next"]);
    expect(
      logs.some((l) => l.level === "warn" && l.msg.includes("Time limit of 50 ms exceeded")),
    ).toBe(true);
  });

  test("a message's time_limit option overrides the actor's; null disables it", async () => {
    const a = actor(
      async () => {
        await sleep(120);
      },
      { broker, actorName: "a", timeLimit: 50, maxRetries: 0 },
    );
    await startWorker();
    await a.sendWithOptions({ timeLimit: null });
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(broker.deadLetters).toHaveLength(0);
  });
});

describe("ShutdownNotifications", () => {
  test("stop interrupts actors with notifyShutdown and lets the others finish", async () => {
    const outcomes: string[] = [];
    const hold = gate();
    const notified = actor(
      async () => {
        const signal = getAbortSignal();
        await new Promise<void>((r) => signal.addEventListener("abort", () => r()));
        outcomes.push(signal.reason instanceof Shutdown ? "notified: Shutdown" : "notified: other");
      },
      { broker, actorName: "notified", notifyShutdown: true, maxRetries: 0 },
    );
    const patient = actor(
      async () => {
        await hold.promise;
        outcomes.push("patient finished");
      },
      { broker, actorName: "patient" },
    );
    const w = await startWorker({ concurrency: 2 });
    await notified.send();
    await patient.send();
    await eventually(() => w.inProgress().length === 2, 5000, "both running");
    const stopping = w.stop({ timeout: 5000 });
    await eventually(
      () => outcomes.includes("notified: Shutdown"),
      5000,
      "the notified actor saw Shutdown",
    );
    expect(outcomes).not.toContain("patient finished");
    hold.open();
    await stopping;
    expect(outcomes).toContain("patient finished");
    expect(broker.deadLetters.map((d) => d.message?.actorName)).toEqual(["notified"]);
  });
});
