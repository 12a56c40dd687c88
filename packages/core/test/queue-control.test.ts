import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { actor, InvalidArgument, StubBroker, Worker } from "../src/index.js";
import { captureLogs, eventually, gate, sleep } from "./helpers.js";

let broker: StubBroker;
let worker: Worker | undefined;
beforeEach(() => {
  captureLogs();
  broker = new StubBroker();
  worker = undefined;
});
afterEach(async () => {
  await worker?.stop({ timeout: 2000 });
});

describe("queue priorities and weights", () => {
  test("a higher-priority queue's held messages start before a flooded low queue's", async () => {
    const order: string[] = [];
    const hold = gate();
    const block = actor(() => hold.promise, { broker, actorName: "block", queueName: "low" });
    const low = actor(() => void order.push("low"), { broker, actorName: "low", queueName: "low" });
    const high = actor(() => void order.push("high"), {
      broker,
      actorName: "high",
      queueName: "high",
    });
    worker = new Worker(broker, {
      concurrency: 1,
      prefetch: 20,
      workerTimeout: 50,
      queuePriorities: { high: 10, low: 1 },
    });
    await worker.start();
    await block.send();
    await eventually(() => worker!.inProgress().length === 1, 2000, "the blocker runs");
    await broker.enqueueMany(Array.from({ length: 10 }, () => low.message()));
    await eventually(() => broker.queueSize("low") === 0, 2000, "low prefetched");
    await high.send();
    await high.send();
    await sleep(100);
    hold.open();
    await worker.join();
    expect(order.slice(0, 2)).toEqual(["high", "high"]);
    expect(order).toHaveLength(12);
  });

  test("without queuePriorities the same high messages wait behind the low ones", async () => {
    const order: string[] = [];
    const hold = gate();
    const block = actor(() => hold.promise, { broker, actorName: "block", queueName: "low" });
    const low = actor(() => void order.push("low"), { broker, actorName: "low", queueName: "low" });
    const high = actor(() => void order.push("high"), {
      broker,
      actorName: "high",
      queueName: "high",
    });
    worker = new Worker(broker, { concurrency: 1, prefetch: 20, workerTimeout: 50 });
    await worker.start();
    await block.send();
    await eventually(() => worker!.inProgress().length === 1, 2000, "the blocker runs");
    await broker.enqueueMany(Array.from({ length: 10 }, () => low.message()));
    await eventually(() => broker.queueSize("low") === 0, 2000, "low prefetched");
    await high.send();
    await sleep(100);
    hold.open();
    await worker.join();
    expect(order[0]).toBe("low");
  });

  test("queueWeights share the slots 3:1 while both queues are busy", async () => {
    const starts: string[] = [];
    const make = (name: string) =>
      actor(
        async () => {
          starts.push(name);
          await sleep(10);
        },
        { broker, actorName: name, queueName: name },
      );
    const qa = make("a");
    const qb = make("b");
    await broker.enqueueMany(Array.from({ length: 60 }, () => qa.message()));
    await broker.enqueueMany(Array.from({ length: 60 }, () => qb.message()));
    worker = new Worker(broker, {
      concurrency: 4,
      prefetch: 20,
      workerTimeout: 50,
      queueWeights: { a: 3, b: 1 },
    });
    await worker.start();
    await worker.join();
    // While both queues have work, b gets one start in four (the first few go to whichever
    // batch came first: slots are never left idle).
    const b = starts.slice(0, 60).filter((n) => n === "b").length;
    expect(b).toBeGreaterThanOrEqual(12);
    expect(b).toBeLessThanOrEqual(17);
    expect(starts).toHaveLength(120);
  });

  test("giving both, or a bad number, is an InvalidArgument naming the option", () => {
    expect(() => new Worker(broker, { queuePriorities: { a: 1 }, queueWeights: { a: 1 } })).toThrow(
      /queuePriorities and queueWeights/,
    );
    expect(() => new Worker(broker, { queueWeights: { a: 0 } })).toThrow(InvalidArgument);
    expect(() => new Worker(broker, { queuePriorities: { a: Number.NaN } })).toThrow(
      /queuePriorities: queue "a" must map to a finite number, got NaN/,
    );
  });
});

describe("pausing a queue for the fleet (StubBroker)", () => {
  test("a paused queue's messages wait, other queues run, resume starts them", async () => {
    const done: string[] = [];
    const a = actor((n: number) => void done.push(`a${n}`), {
      broker,
      actorName: "a",
      queueName: "qa",
    });
    const b = actor((n: number) => void done.push(`b${n}`), {
      broker,
      actorName: "b",
      queueName: "qb",
    });
    worker = new Worker(broker, { concurrency: 2, workerTimeout: 50 });
    await worker.start();
    await broker.pauseQueue("qa");
    expect(await broker.pausedQueues()).toEqual(["qa"]);
    await a.send(1);
    await b.send(1);
    await eventually(() => done.includes("b1"), 2000, "b runs");
    await sleep(150);
    expect(done).toEqual(["b1"]);
    await broker.resumeQueue("qa");
    await eventually(() => done.includes("a1"), 1000, "a runs after resume");
    expect(await broker.pausedQueues()).toEqual([]);
  });

  test("messages already held when the pause comes are not started, and are given back on stop", async () => {
    const hold = gate();
    const done: number[] = [];
    const a = actor(
      async (n: number) => {
        if (n === 0) await hold.promise;
        done.push(n);
      },
      { broker, actorName: "a", queueName: "qa" },
    );
    worker = new Worker(broker, { concurrency: 1, prefetch: 10, workerTimeout: 50 });
    await worker.start();
    await a.send(0);
    await eventually(() => worker!.inProgress().length === 1, 2000, "first runs");
    for (let n = 1; n <= 3; n++) await a.send(n);
    await eventually(() => broker.queueSize("qa") === 0, 2000, "held by the worker");
    await broker.pauseQueue("qa");
    hold.open();
    await sleep(200);
    expect(done).toEqual([0]);
    await worker.stop({ timeout: 2000 });
    worker = undefined;
    expect(broker.queueSize("qa")).toBe(3);
  });

  test("a worker started while the queue is paused does not start it", async () => {
    const done: number[] = [];
    const a = actor((n: number) => void done.push(n), { broker, actorName: "a", queueName: "qa" });
    await broker.pauseQueue("qa");
    await a.send(1);
    worker = new Worker(broker, { workerTimeout: 50 });
    await worker.start();
    await sleep(200);
    expect(done).toEqual([]);
    await broker.resumeQueue("qa");
    await eventually(() => done.length === 1, 1000, "runs after resume");
  });

  test("a bad queue name is an InvalidArgument", async () => {
    await expect(broker.pauseQueue("")).rejects.toThrow(InvalidArgument);
  });
});
