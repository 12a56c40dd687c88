import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Broker, Message } from "../src/index.js";
import {
  AgeLimit,
  actor,
  computeBackoff,
  dqName,
  GroupCallbacks,
  group,
  Middleware,
  pipeline,
  ResultFailure,
  Results,
  SkipMessage,
  StubBroker,
  StubRateLimiterBackend,
  StubResultBackend,
  Worker,
} from "../src/index.js";
import { captureLogs, eventually } from "./helpers.js";

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

async function startWorker(): Promise<Worker> {
  worker = new Worker(broker, { workerTimeout: 50 });
  await worker.start();
  return worker;
}

const warnings = () => logs.filter((l) => l.level === "warn").map((l) => l.msg);

describe("returning nothing is a result (null, as Dramatiq's None)", () => {
  test("an actor that returns undefined with storeResults stores null", async () => {
    broker.addMiddleware(new Results({ backend: new StubResultBackend() }));
    const nothing = actor(() => undefined, { broker, actorName: "nothing", storeResults: true });
    await startWorker();
    const m = await nothing.send();
    expect(await m.getResult({ backend: broker.getResultsBackend(), block: true })).toBeNull();
    await broker.join("default", { timeout: 5000 });
    expect(broker.deadLetters).toEqual([]);
  });

  test("a pipeline passes null to the next step; onSuccess receives null", async () => {
    broker.addMiddleware(new Results({ backend: new StubResultBackend() }));
    const received: unknown[] = [];
    const nothing = actor((_x: number) => {}, { broker, actorName: "nothing" });
    const next = actor((x: number, prev: unknown) => void received.push([x, prev]), {
      broker,
      actorName: "next",
    });
    const callback = actor((_m: unknown, result: unknown) => void received.push(result), {
      broker,
      actorName: "callback",
    });
    await startWorker();
    await pipeline([nothing.message(1), next.message(2)], { broker }).run();
    await nothing.sendWithOptions({ args: [3], onSuccess: callback });
    await broker.join("default", { timeout: 5000 });
    expect(received).toContainEqual([2, null]);
    expect(received).toContain(null);
    expect(broker.deadLetters).toEqual([]);
  });

  test("a group holding a pipeline that ends in undefined fires its completion callback", async () => {
    broker.addMiddleware(new Results({ backend: new StubResultBackend() }));
    broker.addMiddleware(new GroupCallbacks(new StubRateLimiterBackend()));
    let fired = 0;
    const nothing = actor((_x?: unknown) => {}, { broker, actorName: "nothing" });
    const done = actor(() => void fired++, { broker, actorName: "done" });
    await startWorker();
    const g = group(
      [pipeline([nothing.message(1), nothing.message()], { broker }), nothing.message()],
      {
        broker,
      },
    );
    await g.addCompletionCallback(done.message()).run();
    await eventually(() => fired === 1, 5000, "the completion callback fired");
    // And as a step: the next one receives the members' results, nulls included.
    const seen: unknown[] = [];
    const collect = actor((results: unknown) => void seen.push(results), {
      broker,
      actorName: "collect",
    });
    await pipeline([group([nothing.message(), nothing.message()], { broker }), collect.message()], {
      broker,
    }).run();
    await eventually(() => seen.length === 1, 5000, "the step after the group ran");
    expect(seen[0]).toEqual([null, null]);
  });
});

test("a Results middleware added after worker.start() gets every hook, afterNack included", async () => {
  const backend = new StubResultBackend();
  const fails = actor(
    () => {
      throw new TypeError("late");
    },
    { broker, actorName: "fails", maxRetries: 0 },
  );
  const works = actor(() => 7, { broker, actorName: "works" });
  await startWorker();
  broker.addMiddleware(new Results({ backend, storeResults: true }));
  const bad = await fails.send();
  const good = await works.send();
  await broker.join("default", { failFast: false, timeout: 5000 });
  expect(await good.getResult({ backend })).toBe(7);
  const failure = await bad.getResult({ backend }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ResultFailure);
  expect((failure as ResultFailure).origExcType).toBe("TypeError");
});

describe("a skipped message records SkipMessage as its exception", () => {
  test("age limit: the stored result, join failFast and the dead letter all carry it", async () => {
    const backend = new StubResultBackend();
    broker.addMiddleware(new Results({ backend, storeResults: true }));
    let ran = false;
    const old = actor(
      () => {
        ran = true;
      },
      { broker, actorName: "old", maxAge: 1000 },
    );
    await startWorker();
    const m = old.message();
    await broker.enqueue(m.copy({ messageTimestamp: Date.now() - 5000 }));
    await expect(broker.join("default", { timeout: 5000 })).rejects.toBeInstanceOf(SkipMessage);
    expect(ran).toBe(false);
    const failure = await m.getResult({ backend, block: true }).catch((e: unknown) => e);
    expect((failure as ResultFailure).origExcType).toBe("SkipMessage");
    expect(broker.deadLetters[0]!.exception).toBeInstanceOf(SkipMessage);
    expect(String(broker.deadLetters[0]!.message?.options.traceback)).toMatch(
      /^SkipMessage: Message age limit exceeded/,
    );
  });
});

test("errors listed in an actor's throws are logged at info, not as unhandled errors", async () => {
  class Expected extends Error {}
  const a = actor(
    (expected: boolean) => {
      throw expected ? new Expected("as planned") : new Error("surprise");
    },
    { broker, actorName: "a", throws: Expected, maxRetries: 0 },
  );
  await startWorker();
  await a.send(true);
  await broker.join("default", { failFast: false, timeout: 5000 });
  const failed = logs.filter((l) => l.msg.startsWith("Failed to process message"));
  expect(failed.map((l) => [l.level, l.msg])).toEqual([
    ["info", "Failed to process message a(true) with expected exception Expected."],
  ]);
  await a.send(false);
  await broker.join("default", { failFast: false, timeout: 5000 });
  expect(
    logs.filter((l) => l.level === "error" && l.msg.includes("unhandled exception")),
  ).toHaveLength(1);
});

test('dqName("q.XQ") is "q.DQ", as Dramatiq\'s', () => {
  expect(dqName("q.XQ")).toBe("q.DQ");
  expect(dqName("q.DQ")).toBe("q.DQ");
  expect(dqName("q")).toBe("q.DQ");
});

describe("Dramatiq's warnings", () => {
  test("a non-numeric eta on a delayed message is warned about, and the message runs now", async () => {
    const ran: string[] = [];
    actor((s: string) => void ran.push(s), { broker, actorName: "a" });
    await startWorker();
    broker.enqueueBytes(
      "default.DQ",
      JSON.stringify({
        queue_name: "default.DQ",
        actor_name: "a",
        args: ["soon"],
        kwargs: {},
        options: { eta: "tomorrow" },
        message_id: "m-1",
        message_timestamp: Date.now(),
      }),
    );
    await broker.join("default", { timeout: 5000 });
    expect(ran).toEqual(["soon"]);
    expect(warnings()).toContain(
      'Invalid eta value for message m-1: "tomorrow". Setting eta to the current time.',
    );
  });

  test("a middleware of the same type added twice", () => {
    broker.addMiddleware(new AgeLimit());
    expect(warnings()).toEqual([
      "You're adding a middleware of the same type twice: AgeLimit. It may have unexpected results.",
    ]);
  });

  test("a return value discarded: with Results and storeResults off, and without Results; once per actor", async () => {
    const value = actor(() => 42, { broker, actorName: "value" });
    const nothing = actor(() => null, { broker, actorName: "nothing" });
    const piped = actor((_x?: unknown) => 1, { broker, actorName: "piped" });
    await startWorker();
    await value.send();
    await value.send();
    await nothing.send();
    await piped.sendWithOptions({ onSuccess: nothing });
    await broker.join("default", { timeout: 5000 });
    const without = warnings().filter((w) => w.includes("has been discarded"));
    expect(without).toEqual([
      "Actor 'value' returned a value that is not null, and you haven't added the Results middleware to the broker, so the value has been discarded. Consider adding the Results middleware to your broker or piping the result into another actor.",
    ]);

    logs.length = 0;
    broker.addMiddleware(new Results({ backend: new StubResultBackend() }));
    await value.send();
    await value.send();
    await pipeline([piped.message(), piped.message()], { broker }).run();
    await broker.join("default", { timeout: 5000 });
    // The last step's value is not passed on: warned, once.
    expect(warnings().filter((w) => w.includes("has been discarded"))).toEqual([
      "Actor 'value' returned a value that is not null, but you haven't set its storeResults option to true, so the value has been discarded.",
      "Actor 'piped' returned a value that is not null, but you haven't set its storeResults option to true, so the value has been discarded.",
    ]);
  });
});

describe("backoff as Dramatiq 2.x", () => {
  const base = { minBackoff: 100, maxBackoff: 10_000, maxRetries: 5, jitter: true } as const;

  test("jitter stretches the delay by 1× to 2×; past maxBackoff, half to all of it", () => {
    const at = (retries: number, r: number) =>
      computeBackoff({ ...base, retries, strategy: "exponential", random: () => r });
    expect(at(0, 0)).toBe(100);
    expect(at(0, 0.999)).toBe(199);
    expect(at(3, 0)).toBe(800);
    expect(at(3, 0.5)).toBe(1200);
    // 100 · 2^7 = 12 800 is past the cap: drawn between 5 000 and 10 000.
    expect(at(7, 0)).toBe(5000);
    expect(at(7, 0.999)).toBe(9995);
  });

  test("the first retry of a real failure waits between 1× and 2× minBackoff", async () => {
    const delays: (number | undefined)[] = [];
    broker.addMiddleware(
      new (class extends Middleware {
        override afterEnqueue(_b: Broker, m: Message, delay: number | undefined): void {
          // The retry as sent (its move from the delay queue later has no delay).
          if (m.options.retries === 1 && delay !== undefined) delays.push(delay);
        }
      })(),
    );
    const a = actor(
      () => {
        throw new Error("x");
      },
      { broker, actorName: "a", maxRetries: 1, minBackoff: 40 },
    );
    await startWorker();
    for (let i = 0; i < 20; i++) await a.send();
    await broker.join("default", { failFast: false, timeout: 10_000 });
    expect(delays).toHaveLength(20);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(40);
      expect(d).toBeLessThan(80);
    }
  });
});
