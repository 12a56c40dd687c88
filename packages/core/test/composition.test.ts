import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  actor,
  GroupCallbacks,
  group,
  InvalidArgument,
  pipeline,
  ResultFailure,
  ResultMissing,
  Results,
  ResultTimeout,
  StubBroker,
  StubRateLimiterBackend,
  StubResultBackend,
  setBroker,
  Worker,
} from "../src/index.js";
import { captureLogs, eventually, sleep } from "./helpers.js";

let broker: StubBroker;
let backend: StubResultBackend;
let worker: Worker;

beforeEach(async () => {
  captureLogs();
  broker = new StubBroker();
  backend = new StubResultBackend();
  broker.addMiddleware(new Results({ backend }));
  broker.addMiddleware(new GroupCallbacks(new StubRateLimiterBackend()));
  setBroker(broker);
  worker = new Worker(broker, { workerTimeout: 50, concurrency: 8 });
  await worker.start();
});

afterEach(async () => {
  await worker.stop({ timeout: 2000 });
});

const storeResults = true;

describe("results", () => {
  test("a stored result comes back typed from message.getResult()", async () => {
    const add = actor((a: number, b: number) => a + b, { actorName: "add", storeResults });
    const m = await add.send(1, 2);
    const value: number = await m.getResult({ block: true, timeout: 5000 });
    expect(value).toBe(3);
  });

  test("non-blocking get of a missing result is ResultMissing; a wait that times out is ResultTimeout", async () => {
    const slow = actor(async () => sleep(500).then(() => "done"), {
      actorName: "slow",
      storeResults,
    });
    const m = await slow.send();
    await expect(m.getResult()).rejects.toBeInstanceOf(ResultMissing);
    await expect(m.getResult({ block: true, timeout: 100 })).rejects.toBeInstanceOf(ResultTimeout);
    expect(await m.getResult({ block: true, timeout: 5000 })).toBe("done");
  });

  test("a failing actor's stored error is ResultFailure with the original type and message, stored only once it is dead", async () => {
    class PaymentDeclined extends Error {}
    let attempts = 0;
    const charge = actor(
      () => {
        attempts++;
        throw new PaymentDeclined("card expired");
      },
      { actorName: "charge", storeResults, maxRetries: 1, minBackoff: 200, jitter: false },
    );
    const m = await charge.send();
    await eventually(() => attempts === 1, 2000, "the first attempt");
    // Between attempts nothing is stored: the message is not dead yet.
    await expect(m.getResult()).rejects.toBeInstanceOf(ResultMissing);
    const error = await m.getResult({ block: true, timeout: 5000 }).catch((e: unknown) => e);
    expect(attempts).toBe(2);
    expect(error).toBeInstanceOf(ResultFailure);
    expect((error as ResultFailure).origExcType).toBe("PaymentDeclined");
    expect((error as ResultFailure).origExcMsg).toBe("card expired");
  });

  test("forgot storeResults: getResult fails at once, naming the actor and the option", async () => {
    const add = actor((a: number, b: number) => a + b, { actorName: "add" });
    const m = await add.send(1, 2);
    const started = Date.now();
    const error = await m.getResult({ block: true, timeout: 5000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(InvalidArgument);
    expect((error as InvalidArgument).message).toMatch(/Actor add does not store its results/);
    expect((error as InvalidArgument).message).toMatch(/storeResults: true/);
    await expect(m.getResult()).rejects.toBeInstanceOf(InvalidArgument);
    // A pipeline whose steps store nothing says so too, instead of timing out.
    const p = await pipeline([add.message(1, 2), add.message(3)]).run();
    await expect(p.getResult({ block: true, timeout: 5000 })).rejects.toThrow(/Actor add/);
    // The message's own option counts: sent with storeResults, its result comes back.
    const stored = await add.sendWithOptions({ args: [2, 2], storeResults: true });
    expect(await stored.getResult({ block: true, timeout: 5000 })).toBe(4);
    // Members of a group a later step waits for are stored whatever their actor says.
    const sum = actor((parts: number[]) => parts.reduce((x, y) => x + y, 0), {
      actorName: "sum",
      storeResults,
    });
    const member = add.message(1, 1);
    const q = await pipeline([group([member, add.message(2, 2)]), sum.message()]).run();
    expect(await q.getResults({ block: true, timeout: 5000 })).toEqual([[2, 4], 6]);
    expect(await member.getResult({ block: true, timeout: 5000 })).toBe(2);
  });

  test("a result JSON cannot carry is stored as a failure that names the problem", async () => {
    const big = actor(() => 10n ** 20n, { actorName: "big", storeResults });
    const m = await big.send();
    const error = await m.getResult({ block: true, timeout: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultFailure);
    expect((error as ResultFailure).origExcType).toBe("EncodeError");
    expect((error as ResultFailure).origExcMsg).toMatch(/BigInt/);
  });

  test("results are stored in Dramatiq's JSON shapes", async () => {
    const m = { queueName: "default", actorName: "x", messageId: "id-1" };
    await backend.storeResult(m, { n: 1 }, 60_000);
    await backend.storeException({ ...m, messageId: "id-2" }, new TypeError("bad"), 60_000);
    const raw = (backend as unknown as { values: Map<string, { data: Uint8Array }> }).values;
    expect(Buffer.from(raw.get(backend.buildMessageKey(m))!.data).toString()).toBe('{"n":1}');
    expect(
      Buffer.from(raw.get(backend.buildMessageKey({ ...m, messageId: "id-2" }))!.data).toString(),
    ).toBe('{"__t":"dramatiq.results.Result","exn":{"type":"TypeError","msg":"bad"}}');
  });
});

describe("pipelines", () => {
  test("a three-step pipeline of add actors gives 3, 6, 10", async () => {
    const add = actor((a: number, b: number) => a + b, { actorName: "add", storeResults });
    const p = await pipeline([add.message(1, 2), add.message(3), add.message(4)]).run();
    const last: number = await p.getResult({ block: true, timeout: 5000 });
    expect(last).toBe(10);
    expect(await p.getResults({ block: true, timeout: 5000 })).toEqual([3, 6, 10]);
    expect(await p.completed()).toBe(true);
    expect(await p.completedCount()).toBe(3);
  });

  test("pipeIgnore drops the previous result; nested pipelines flatten", async () => {
    const add = actor((a: number, b: number) => a + b, { actorName: "add", storeResults });
    const inner = pipeline([
      add.message(10),
      add.messageWithOptions({ args: [5, 5], pipeIgnore: true }),
    ]);
    const p = await pipeline([add.message(1, 1), inner, add.message(1)]).run();
    expect(p.steps).toHaveLength(4);
    expect(await p.getResults({ block: true, timeout: 5000 })).toEqual([2, 12, 10, 11]);
  });

  test("a failed step stops the chain", async () => {
    const ran: string[] = [];
    const first = actor(
      () => {
        ran.push("first");
        throw new Error("stop here");
      },
      { actorName: "first", maxRetries: 0, storeResults },
    );
    const second = actor(() => void ran.push("second"), { actorName: "second", storeResults });
    const p = await pipeline([first.message(), second.message()]).run();
    await broker.join("default", { failFast: false, timeout: 5000 });
    await sleep(50);
    expect(ran).toEqual(["first"]);
    expect(await p.completedCount()).toBe(1);
    await expect(p.getResult()).rejects.toBeInstanceOf(ResultMissing);
  });

  test("run({ delay }) delays the first step", async () => {
    const add = actor((a: number, b: number) => a + b, { actorName: "add", storeResults });
    const started = Date.now();
    const p = await pipeline([add.message(1, 1), add.message(1)]).run({ delay: 300 });
    expect(await p.getResult({ block: true, timeout: 5000 })).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  test("a group inside a pipeline feeds the list of its results, in group order, to the next step", async () => {
    const slowEcho = actor(
      async (ms: number, prefix: string) => sleep(ms).then(() => `${prefix}${ms}`),
      {
        actorName: "slowEcho",
        storeResults,
      },
    );
    const start = actor(() => "v", { actorName: "start", storeResults });
    const join = actor((parts: string[]) => parts.join(","), { actorName: "join", storeResults });
    const p = await pipeline([
      start.message(),
      group([slowEcho.message(150), slowEcho.message(10), slowEcho.message(80)]),
      join.message(),
    ]).run();
    expect(await p.getResult({ block: true, timeout: 5000 })).toBe("v150,v10,v80");
    expect(await p.getResults({ block: true, timeout: 5000 })).toEqual([
      "v",
      ["v150", "v10", "v80"],
      "v150,v10,v80",
    ]);
  });

  test("groups inside pipelines need a result backend, said before anything is sent", async () => {
    const bare = new StubBroker();
    bare.addMiddleware(new GroupCallbacks(new StubRateLimiterBackend()));
    const a = actor(() => 1, { broker: bare, actorName: "a" });
    await expect(
      pipeline([group([a.message()], { broker: bare }), a.message()], { broker: bare }).run(),
    ).rejects.toThrow(/no result backend/);
    expect(bare.queueSize("default")).toBe(0);
  });
});

describe("groups", () => {
  test("results come back in group order even when members finish out of order", async () => {
    const wait = actor(async (ms: number) => sleep(ms).then(() => ms), {
      actorName: "wait",
      storeResults,
    });
    const g = await group([wait.message(200), wait.message(10), wait.message(100)]).run();
    const results: [number, number, number] = await g.getResults({ block: true, timeout: 5000 });
    expect(results).toEqual([200, 10, 100]);
    expect(await g.completed()).toBe(true);
    expect(await g.completedCount()).toBe(3);
  });

  test("iterating a group yields results in completion order", async () => {
    const wait = actor(async (ms: number) => sleep(ms).then(() => ms), {
      actorName: "wait",
      storeResults,
    });
    const g = await group([wait.message(300), wait.message(10), wait.message(150)]).run();
    const seen: number[] = [];
    for await (const r of g) seen.push(r);
    expect(seen).toEqual([10, 150, 300]);
  });

  test("wait() times out with ResultTimeout; a group of pipelines has the pipelines' results", async () => {
    const add = actor((a: number, b: number) => a + b, { actorName: "add", storeResults });
    const stuck = actor(async () => sleep(600), { actorName: "stuck", storeResults });
    const g = await group([pipeline([add.message(1, 2), add.message(3)]), add.message(5, 5)]).run();
    expect(await g.getResults({ block: true, timeout: 5000 })).toEqual([6, 10]);
    const slow = await group([stuck.message()]).run();
    await expect(slow.wait({ timeout: 100 })).rejects.toBeInstanceOf(ResultTimeout);
  });

  test("a completion callback fires exactly once, after every member", async () => {
    const finished: string[] = [];
    const work = actor(
      async (ms: number) => sleep(ms).then(() => void finished.push(`work ${ms}`)),
      {
        actorName: "work",
      },
    );
    const done = actor(() => void finished.push("done"), { actorName: "done" });
    const g = group([work.message(50), work.message(5), work.message(20), work.message(1)]);
    g.addCompletionCallback(done.message());
    await g.run();
    await broker.join("default", { timeout: 5000 });
    await sleep(100);
    expect(finished.filter((f) => f === "done")).toHaveLength(1);
    expect(finished.at(-1)).toBe("done");
    expect(finished).toHaveLength(5);
  });

  test("completion callbacks need the GroupCallbacks middleware, said clearly", async () => {
    const bare = new StubBroker();
    const a = actor(() => 1, { broker: bare, actorName: "a" });
    const g = group([a.message()], { broker: bare }).addCompletionCallback(a.message());
    await expect(g.run()).rejects.toThrow(/GroupCallbacks middleware/);
  });
});
