import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { RedisBroker } from "@taskq/broker-redis";
import { actor, getCurrentMessage, Worker } from "@taskq/core";
import { captureLogs, sleep, waitUntil } from "@taskq/core/testing";
import { Redis } from "ioredis";
import { expect, inject, test } from "vitest";

const SCRIPT = fileURLToPath(new URL("./fixtures/scheduler-process.mjs", import.meta.url));
const WINDOW = 60_000;

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
  started: Promise<void>;
}

test("3 scheduler processes killed -9 and restarted at random for 60 s enqueue every tick once", {
  timeout: 150_000,
}, async () => {
  captureLogs();
  const url = inject("redisUrl");
  const namespace = `mp-${randomUUID()}`;
  const broker = new RedisBroker({ url, namespace });
  const seen: { tick: number; id: string }[] = [];
  actor(
    () => {
      const m = getCurrentMessage()!;
      seen.push({ tick: m.options.scheduled_for as number, id: m.messageId });
    },
    { actorName: "tick", broker },
  );
  const worker = new Worker(broker, { concurrency: 4 });
  await worker.start();

  const spawnScheduler = (index: number): Proc => {
    const child = spawn(process.execPath, [SCRIPT], {
      env: {
        ...process.env,
        TASKQ_TEST_REDIS: url,
        TASKQ_TEST_NS: namespace,
        TASKQ_TEST_INDEX: String(index),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const started = new Promise<void>((resolve) =>
      child.stdout!.on("data", (d: Buffer) => d.toString().includes("started") && resolve()),
    );
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return { child, exited, started };
  };

  const procs: (Proc | undefined)[] = [0, 1, 2].map(spawnScheduler);
  await Promise.all(procs.map((p) => p!.started));
  let kills = 0;
  let allDown = 0;
  const begin = Date.now();
  let killedAll = false;
  try {
    while (Date.now() - begin < WINDOW) {
      await sleep(1000 + Math.random() * 3000);
      if (!killedAll && Date.now() - begin > WINDOW / 2) {
        // Once, a moment with no scheduler at all: the missed ticks come back as catch-ups.
        killedAll = true;
        for (const p of procs) p?.child.kill("SIGKILL");
        kills += procs.filter(Boolean).length;
        await Promise.all(procs.map((p) => p?.exited));
        allDown++;
        await sleep(7000);
        for (let i = 0; i < 3; i++) procs[i] = spawnScheduler(i);
        continue;
      }
      const i = Math.floor(Math.random() * 3);
      const victim = procs[i];
      if (victim === undefined) continue;
      victim.child.kill("SIGKILL");
      kills++;
      await victim.exited;
      procs[i] = undefined;
      // Restart it after a while, without holding up the next kill.
      setTimeout(() => {
        procs[i] = spawnScheduler(i);
      }, Math.random() * 3000);
    }
    await sleep(3500);
    for (let i = 0; i < 3; i++) procs[i] ??= spawnScheduler(i);
    await Promise.all(procs.map((p) => p!.started));
    await sleep(2000);
  } finally {
    for (const p of procs) p?.child.kill("SIGTERM");
    await Promise.all(procs.map((p) => p?.exited));
  }

  const redis = new Redis(url);
  const state = await redis.hgetall(`${namespace}:__schedules__.tick`);
  await redis.quit();
  expect(state.claim).toBeUndefined(); // everything claimed was sent
  const first = Number(state.anchor);
  const last = Number(state.lastRun);
  const expected = Math.round((last - first) / 1000) + 1;
  await waitUntil(
    () => new Set(seen.map((s) => s.tick)).size >= expected || Date.now() - begin > WINDOW + 40_000,
    {
      timeout: 30_000,
      what: "the worker ran every tick",
    },
  );
  await broker.join("default", { timeout: 20_000 });
  await worker.stop();
  await broker.close();

  const counts = new Map<number, number>();
  for (const s of seen) counts.set(s.tick, (counts.get(s.tick) ?? 0) + 1);
  const duplicates = [...counts.values()].filter((n) => n > 1).length;
  const missing: number[] = [];
  for (let t = first; t <= last; t += 1000) if (!counts.has(t)) missing.push(t);
  const offGrid = [...counts.keys()].filter((t) => (t - first) % 1000 !== 0);
  console.log(
    `multi-process run: ${kills} kill -9 (${allDown} with all three down), ${expected} ticks expected, ${seen.length} enqueued and run, ${duplicates} duplicates, ${missing.length} missing`,
  );
  expect({ duplicates, missing, offGrid, enqueued: seen.length }).toEqual({
    duplicates: 0,
    missing: [],
    offGrid: [],
    enqueued: expected,
  });
  expect(expected).toBeGreaterThanOrEqual(60);
});
