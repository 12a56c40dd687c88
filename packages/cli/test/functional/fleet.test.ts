import { RedisBroker } from "@taskq/broker-redis";
import { captureLogs } from "@taskq/core/testing";
import { afterEach, describe, expect, test } from "vitest";
import {
  type Env,
  type Running,
  records,
  taskq,
  taskqDone,
  testEnv,
  waitUntil,
} from "../helpers.js";

const running: Running[] = [];
const brokers: RedisBroker[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.child.kill("SIGTERM");
    await r.exited;
  }
  for (const b of brokers.splice(0)) await b.close();
});

function start(args: string[], env: Env): Running {
  const r = taskq(args, env);
  running.push(r);
  return r;
}

/** Send `count` messages to `actorName` (declared here as app.mjs declares it) straight through Redis. */
async function send(
  env: Env,
  actorName: string,
  queueName: string,
  values: unknown[],
): Promise<void> {
  captureLogs();
  const broker = new RedisBroker({ url: env.TASKQ_TEST_REDIS, namespace: env.TASKQ_TEST_NS });
  brokers.push(broker);
  broker.declareQueue(queueName);
  const { Message } = await import("@taskq/core");
  await broker.enqueueMany(
    values.map((v) => new Message({ queueName, actorName, args: [v], kwargs: {}, options: {} })),
  );
}

const valuesOf = (env: Env, actor: string) =>
  records(env)
    .filter((r) => r.actor === actor)
    .map((r) => r.value as number);

describe("taskq pause / resume", () => {
  test("pauses a queue for every worker process (shown in taskq queues); others keep running; resume runs it", async () => {
    const env = testEnv();
    const paused = await taskqDone(["pause", "app.mjs", "other"], env);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/Paused other/);
    const listed = await taskqDone(["queues", "app.mjs"], env);
    expect(listed.stdout).toMatch(/^other\s+0\s+0\s+0\s+0\s+yes$/m);
    expect(listed.stdout).toMatch(/^default\s+0\s+0\s+0\s+0\s+no$/m);

    const worker = start(["app.mjs", "-p", "2", "-c", "2"], env);
    await worker.waitFor(/Worker process is ready for action/, 2);
    await send(env, "other", "other", [1, 2, 3]);
    await send(env, "echo", "default", [1, 2, 3]);
    await waitUntil(() => valuesOf(env, "echo").length === 3, { what: "echo runs" });
    await new Promise((r) => setTimeout(r, 1000));
    expect(valuesOf(env, "other")).toEqual([]);

    const resumed = await taskqDone(["resume", "app.mjs", "other"], env);
    expect(resumed.code).toBe(0);
    await waitUntil(() => valuesOf(env, "other").length === 3, {
      timeout: 2000,
      what: "other runs",
    });
    expect((await taskqDone(["queues", "app.mjs"], env)).stdout).toMatch(/^other\s.*\sno$/m);
  });

  test("an unknown queue is a usage error naming the declared ones", async () => {
    const env = testEnv();
    const r = await taskqDone(["pause", "app.mjs", "nope"], env);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/No queue nope in app\.mjs; it declares: default, other/);
  });
});

describe("worker recycling", () => {
  test("--max-tasks-per-child 5: each process starts at most 5 messages, is replaced; every message runs once", async () => {
    const env = testEnv();
    const worker = start(["app.mjs", "-p", "1", "-c", "2", "--max-tasks-per-child", "5"], env);
    await worker.waitFor(/Worker process is ready for action/);
    const values = Array.from({ length: 20 }, (_, i) => i);
    await send(env, "echo", "default", values);
    await waitUntil(() => valuesOf(env, "echo").length >= 20, { timeout: 30_000, what: "all ran" });
    await new Promise((r) => setTimeout(r, 500));
    expect(valuesOf(env, "echo").sort((a, b) => a - b)).toEqual(values);
    const perPid = new Map<unknown, number>();
    for (const r of records(env)) perPid.set(r.pid, (perPid.get(r.pid) ?? 0) + 1);
    expect(perPid.size).toBeGreaterThanOrEqual(4);
    for (const n of perPid.values()) expect(n).toBeLessThanOrEqual(5);
    expect(worker.output()).toMatch(/was recycled; starting a fresh one/);
    expect(worker.output()).not.toMatch(/died with/);
  });

  test("--max-memory: a leaking actor's process is replaced once its RSS passes the limit; every message runs once", async () => {
    const env = testEnv();
    const worker = start(["app.mjs", "-p", "1", "-c", "1", "--max-memory", "200"], env);
    await worker.waitFor(/Worker process is ready for action/);
    const values = Array.from({ length: 30 }, (_, i) => i);
    await send(env, "leak", "default", values);
    await waitUntil(() => valuesOf(env, "leak").length >= 30, { timeout: 60_000, what: "all ran" });
    await new Promise((r) => setTimeout(r, 500));
    expect(valuesOf(env, "leak").sort((a, b) => a - b)).toEqual(values);
    const pids = new Set(records(env).map((r) => r.pid));
    expect(pids.size).toBeGreaterThanOrEqual(2);
    expect(worker.output()).toMatch(/RSS is \d+ MB \(--max-memory 200\)/);
  });

  test("bad flags are usage errors naming them", async () => {
    const env = testEnv();
    for (const [args, text] of [
      [["--max-memory", "0"], /--max-memory must be a number of MB > 0/],
      [["--max-tasks-per-child", "x"], /--max-tasks-per-child must be a whole number/],
      [["--queue-priority", "high"], /--queue-priority takes QUEUE=NUMBER pairs, got "high"/],
      [["--queue-weight", "a=0"], /--queue-weight takes QUEUE=NUMBER>0 pairs/],
      [["--queue-priority", "a=1", "--queue-weight", "a=1"], /exclude each other/],
    ] as const) {
      const r = await taskqDone(["app.mjs", ...args], env);
      expect(r.code).toBe(2);
      expect(r.output).toMatch(text);
    }
  });
});
