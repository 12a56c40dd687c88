import { afterEach, beforeEach, expect, test } from "vitest";
import { actor, StubBroker, Worker } from "../src/index.js";
import { captureLogs, eventually } from "./helpers.js";

let broker: StubBroker;
let worker: Worker;

beforeEach(async () => {
  captureLogs();
  broker = new StubBroker();
});

afterEach(async () => {
  await worker.stop({ timeout: 2000 });
});

test("onSuccess receives the message dict and the result; onFailure the dict and the error, once", async () => {
  const successes: unknown[][] = [];
  const failures: unknown[][] = [];
  const onOk = actor(
    (m: Record<string, unknown>, result: unknown) => void successes.push([m, result]),
    {
      broker,
      actorName: "onOk",
    },
  );
  actor((m: Record<string, unknown>, error: unknown) => void failures.push([m, error]), {
    broker,
    actorName: "onBad",
  });
  class QuotaError extends Error {}
  const divide = actor(
    (a: number, b: number) => {
      if (b === 0) throw new QuotaError("division by zero");
      return a / b;
    },
    {
      broker,
      actorName: "divide",
      onSuccess: onOk,
      onFailure: "onBad",
      maxRetries: 2,
      minBackoff: 1,
    },
  );
  worker = new Worker(broker, { workerTimeout: 50 });
  await worker.start();
  const ok = await divide.send(10, 4);
  const bad = await divide.send(1, 0);
  await broker.join("default", { failFast: false, timeout: 5000 });
  await eventually(() => successes.length === 1 && failures.length === 1, 2000, "both callbacks");
  expect(successes[0]![0]).toMatchObject({
    message_id: ok.messageId,
    actor_name: "divide",
    args: [10, 4],
  });
  expect(successes[0]![1]).toBe(2.5);
  // Fired once, after the last retry, not on every failed attempt.
  expect(failures).toHaveLength(1);
  expect(failures[0]![0]).toMatchObject({
    message_id: bad.messageId,
    actor_name: "divide",
    args: [1, 0],
  });
  expect(failures[0]![1]).toEqual({ type: "QuotaError", message: "division by zero" });
});

test("callbacks can be set per message with sendWithOptions", async () => {
  const got: unknown[] = [];
  const cb = actor((_m: unknown, r: unknown) => void got.push(r), { broker, actorName: "cb" });
  const twice = actor((n: number) => n * 2, { broker, actorName: "twice" });
  worker = new Worker(broker, { workerTimeout: 50 });
  await worker.start();
  const m = await twice.sendWithOptions({ args: [21], onSuccess: cb });
  expect(m.options.on_success).toBe("cb");
  await broker.join("default", { timeout: 5000 });
  expect(got).toEqual([42]);
});
