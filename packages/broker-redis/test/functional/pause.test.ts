import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { actor, InvalidArgument } from "@taskq/core";
import { afterEach, beforeEach, describe, expect, inject, test } from "vitest";
import type { RedisBroker } from "../../src/index.js";
import { captureLogs, eventually, makeBroker, sleep } from "../helpers.js";

interface Start {
  queue: string;
  n: number;
  at: number;
}

const children: ChildProcess[] = [];
const brokers: RedisBroker[] = [];
beforeEach(() => captureLogs());
afterEach(async () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  for (const b of brokers.splice(0)) await b.close();
});

function startWorker(namespace: string, starts: Start[]): Promise<ChildProcess> {
  const child = fork(
    fileURLToPath(new URL("../fixtures/pause-worker.mjs", import.meta.url)),
    [inject("redisUrl"), namespace],
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

describe("pausing a queue for the fleet (Redis)", () => {
  test("two worker processes stop starting the queue within 1 s, a restarted one too; other queues run; resume within 1 s", async () => {
    const namespace = `test-${randomUUID()}`;
    const b = makeBroker({ namespace });
    brokers.push(b);
    const qa = actor((_n: number) => {}, { broker: b, actorName: "run_qa", queueName: "qa" });
    const qb = actor((_n: number) => {}, { broker: b, actorName: "run_qb", queueName: "qb" });
    const starts: Start[] = [];
    const first = await startWorker(namespace, starts);
    await startWorker(namespace, starts);

    await qa.send(0);
    await eventually(() => starts.some((s) => s.queue === "qa"), 5000, "qa runs before the pause");

    await b.pauseQueue("qa");
    expect(await b.pausedQueues()).toEqual(["qa"]);
    await sleep(1000);
    for (let n = 1; n <= 10; n++) {
      await qa.send(n);
      await qb.send(n);
    }
    await eventually(() => starts.filter((s) => s.queue === "qb").length === 10, 5000, "qb runs");
    // A restarted worker reads the pause before its first fetch.
    first.kill("SIGTERM");
    await new Promise((r) => first.once("exit", r));
    await startWorker(namespace, starts);
    await sleep(1000);
    expect(starts.filter((s) => s.queue === "qa").map((s) => s.n)).toEqual([0]);
    expect(
      (await b.getQueueMessageCounts("qa")).ready +
        (await b.getQueueMessageCounts("qa")).inProgress!,
    ).toBe(10);

    const resumedAt = Date.now();
    await b.resumeQueue("qa");
    await eventually(
      () => starts.filter((s) => s.queue === "qa").length === 11,
      5000,
      "qa runs again",
    );
    const firstAfter = Math.min(
      ...starts.filter((s) => s.queue === "qa" && s.n > 0).map((s) => s.at),
    );
    expect(firstAfter - resumedAt).toBeLessThan(1000);
    expect(await b.pausedQueues()).toEqual([]);
  });

  test("pause and resume are idempotent and check the name", async () => {
    const b = makeBroker();
    brokers.push(b);
    await b.pauseQueue("x");
    await b.pauseQueue("x.DQ");
    await b.pauseQueue("y");
    expect(await b.pausedQueues()).toEqual(["x", "y"]);
    await b.resumeQueue("x");
    await b.resumeQueue("x");
    expect(await b.pausedQueues()).toEqual(["y"]);
    await expect(b.pauseQueue("")).rejects.toThrow(InvalidArgument);
  });
});
