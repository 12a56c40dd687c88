import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Barrier } from "@taskq/core";
import { maxOverlap } from "@taskq/core/testing";
import { expect, inject, test } from "vitest";
import { RedisRateLimiterBackend } from "../../src/index.js";

const PARTY = fileURLToPath(new URL("../fixtures/party.mjs", import.meta.url));

/** Start `count` party processes, let them go together, and collect what each reports. */
async function parties<T>(count: number, args: string[]): Promise<T[]> {
  const children = Array.from({ length: count }, () =>
    fork(PARTY, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] }),
  );
  const reports = children.map(
    (child) =>
      new Promise<T>((resolve, reject) => {
        child.on("message", (m: { ready?: boolean } & T) => {
          if (!m.ready) resolve(m);
        });
        child.on("exit", (code) => {
          if (code !== 0) reject(new Error(`party exited with ${code}`));
        });
      }),
  );
  await Promise.all(children.map((child) => new Promise((r) => child.once("message", r))));
  for (const child of children) child.send("go");
  return Promise.all(reports);
}

test("a concurrent limiter of 4 hammered by 32 callers in 4 processes never has more than 4 holders", async () => {
  const reports = await parties<{ intervals: [number, number][] }>(4, [
    "concurrent",
    inject("redisUrl"),
    `rl-${randomUUID()}`,
    "mutex",
    "8",
  ]);
  const intervals = reports.flatMap((r) => r.intervals);
  expect(intervals).toHaveLength(32);
  expect(maxOverlap(intervals)).toBeLessThanOrEqual(4);
  // The limiter does admit four at once: it limits, it does not serialise.
  expect(maxOverlap(intervals)).toBeGreaterThanOrEqual(2);
});

test("a barrier of 8 parties in 8 processes releases all of them together, when the last party arrives", async () => {
  const namespace = `rl-${randomUUID()}`;
  const key = `barrier-${randomUUID()}`;
  const backend = new RedisRateLimiterBackend({ url: inject("redisUrl"), namespace });
  expect(await new Barrier(backend, key, { ttl: 60_000 }).create(8)).toBe(true);
  await backend.close();
  const reports = await parties<{ released: boolean; at: number }>(8, [
    "barrier",
    inject("redisUrl"),
    namespace,
    key,
  ]);
  expect(reports.map((r) => r.released)).toEqual(Array(8).fill(true));
  const times = reports.map((r) => r.at);
  // Released together: within a second of each other on a loaded machine (a wait that polled
  // instead of blocking on the server would spread them over its poll interval and beyond).
  expect(Math.max(...times) - Math.min(...times)).toBeLessThan(1000);
});
