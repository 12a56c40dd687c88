import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { actor, ConsoleLogger, StubBroker, Worker } from "../src/index.js";
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

describe("Worker", () => {
  test("never runs more than `concurrency` actors at once", async () => {
    let running = 0;
    let peak = 0;
    const a = actor(
      async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(10);
        running--;
      },
      { broker, actorName: "a" },
    );
    worker = new Worker(broker, { concurrency: 3, workerTimeout: 50 });
    await worker.start();
    await broker.enqueueMany(Array.from({ length: 30 }, () => a.message()));
    await broker.join("default", { timeout: 5000 });
    expect(peak).toBe(3);
  });

  test("holds at most `prefetch` unacked messages per queue", async () => {
    const hold = gate();
    const a = actor(() => hold.promise, { broker, actorName: "a" });
    worker = new Worker(broker, { concurrency: 1, prefetch: 4, workerTimeout: 50 });
    await worker.start();
    await broker.enqueueMany(Array.from({ length: 10 }, () => a.message()));
    await eventually(() => broker.queueSize("default") === 6, 2000, "4 prefetched");
    await sleep(100);
    expect(broker.queueSize("default")).toBe(6);
    hold.open();
    await broker.join("default", { timeout: 5000 });
  });

  test("pause stops starting actors, resume starts them again; join waits for the work in hand", async () => {
    const done: number[] = [];
    const a = actor((n: number) => void done.push(n), { broker, actorName: "a" });
    worker = new Worker(broker, { workerTimeout: 50 });
    await worker.start();
    worker.pause();
    await a.send(1);
    await a.send(2);
    await sleep(100);
    expect(done).toEqual([]);
    worker.resume();
    await worker.join();
    expect(done).toEqual([1, 2]);
  });

  test("consumes only the queues it is given, including ones declared after it started", async () => {
    const ran: string[] = [];
    worker = new Worker(broker, { queues: ["wanted", "later"], workerTimeout: 50 });
    const wanted = actor(() => void ran.push("wanted"), {
      broker,
      actorName: "w",
      queueName: "wanted",
    });
    const other = actor(() => void ran.push("other"), {
      broker,
      actorName: "o",
      queueName: "other",
    });
    await worker.start();
    const later = actor(() => void ran.push("later"), {
      broker,
      actorName: "l",
      queueName: "later",
    });
    await wanted.send();
    await other.send();
    await later.send();
    await broker.join("wanted", { timeout: 5000 });
    await broker.join("later", { timeout: 5000 });
    await sleep(100);
    expect(ran.sort()).toEqual(["later", "wanted"]);
    expect(broker.queueSize("other")).toBe(1);
  });

  test("rejects nonsense options", () => {
    expect(() => new Worker(broker, { concurrency: 0 })).toThrow(
      /concurrency must be an integer ≥ 1/,
    );
    expect(() => new Worker(broker, { prefetch: 1.5 })).toThrow(/prefetch/);
  });

  test("a stopped worker does not start again", async () => {
    worker = new Worker(broker, { workerTimeout: 50 });
    await worker.start();
    await worker.stop();
    await expect(worker.start()).rejects.toThrow(/starts once/);
  });
});

describe("ConsoleLogger", () => {
  test("writes Dramatiq-style lines, with the stack of an error after the line", () => {
    const lines: string[] = [];
    const log = new ConsoleLogger({
      level: "info",
      name: "taskq.Worker",
      processName: "Worker-1",
      write: (l) => lines.push(l),
    });
    log.debug("hidden");
    log.info("ready for action");
    log.error({ err: new Error("kaput") }, "Failed");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] \[PID \d+\] \[Worker-1\] \[taskq\.Worker\] \[INFO\] ready for action\n$/,
    );
    expect(lines[1]).toMatch(/\[ERROR\] Failed\nError: kaput\n {4}at /);
  });
});
