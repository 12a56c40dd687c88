import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { actor, InvalidArgument } from "@taskq/core";
import { afterEach, beforeEach, describe, expect, inject, test } from "vitest";
import type { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, eventually, makeBroker, sleep, uniqueQueue } from "../helpers/index.js";

interface Start {
  queue: string;
  n: number;
  at: number;
}

const children: ChildProcess[] = [];
const brokers: RabbitmqBroker[] = [];
beforeEach(() => captureLogs());
afterEach(async () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  for (const b of brokers.splice(0)) await b.close();
});

function startWorker(qa: string, qb: string, starts: Start[]): Promise<ChildProcess> {
  const child = fork(
    fileURLToPath(new URL("../fixtures/pause-worker.mjs", import.meta.url)),
    [inject("amqpUrl"), qa, qb],
    {
      env: { ...process.env, TASKQ_LOG_LEVEL: "error" },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    },
  );
  children.push(child);
  return new Promise((resolve) => {
    child.on("message", (m: Start & { ready?: boolean }) => {
      if (m.ready) resolve(child);
      else starts.push(m);
    });
  });
}

describe("pausing a queue for the fleet (RabbitMQ)", () => {
  test("two worker processes stop starting the queue within 1 s, a restarted one too; other queues run; resume within 1 s", async () => {
    const qaName = uniqueQueue("pa");
    const qbName = uniqueQueue("pb");
    const b = makeBroker();
    brokers.push(b);
    const qa = actor((_n: number) => {}, {
      broker: b,
      actorName: `run_${qaName}`,
      queueName: qaName,
    });
    const qb = actor((_n: number) => {}, {
      broker: b,
      actorName: `run_${qbName}`,
      queueName: qbName,
    });
    const starts: Start[] = [];
    const first = await startWorker(qaName, qbName, starts);
    await startWorker(qaName, qbName, starts);
    const ofA = () => starts.filter((s) => s.queue === qaName);

    await qa.send(0);
    await eventually(() => ofA().length === 1, 10_000, "qa runs before the pause");

    await b.pauseQueue(qaName);
    expect(await b.pausedQueues()).toEqual([qaName]);
    await sleep(1000);
    for (let n = 1; n <= 10; n++) {
      await qa.send(n);
      await qb.send(n);
    }
    await eventually(
      () => starts.filter((s) => s.queue === qbName).length === 10,
      10_000,
      "qb runs",
    );
    first.kill("SIGTERM");
    await new Promise((r) => first.once("exit", r));
    await startWorker(qaName, qbName, starts);
    await sleep(1000);
    expect(ofA().map((s) => s.n)).toEqual([0]);

    const resumedAt = Date.now();
    await b.resumeQueue(qaName);
    await eventually(() => ofA().length === 11, 10_000, "qa runs again");
    const firstAfter = Math.min(
      ...ofA()
        .filter((s) => s.n > 0)
        .map((s) => s.at),
    );
    expect(firstAfter - resumedAt).toBeLessThan(1000);
    expect(await b.pausedQueues()).toEqual([]);
  });

  test("pause and resume are idempotent and check the name", async () => {
    const b = makeBroker();
    brokers.push(b);
    const x = uniqueQueue("px");
    b.declareQueue(x);
    await b.pauseQueue(x);
    await b.pauseQueue(`${x}.DQ`);
    expect(await b.pausedQueues()).toEqual([x]);
    await b.resumeQueue(x);
    await b.resumeQueue(x);
    expect(await b.pausedQueues()).toEqual([]);
    await expect(b.pauseQueue("")).rejects.toThrow(InvalidArgument);
  });
});
