import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { ConnectionFailed } from "@taskq/core";
import { maxOverlap } from "@taskq/core/testing";
import memjs from "memjs";
import { afterEach, describe, expect, inject, test } from "vitest";
import { MemcachedRateLimiterBackend } from "../../src/index.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function backend(
  options: ConstructorParameters<typeof MemcachedRateLimiterBackend>[0] = {},
): MemcachedRateLimiterBackend {
  const b = new MemcachedRateLimiterBackend({
    servers: inject("memcachedServers"),
    namespace: `rl-${randomUUID()}`,
    ...options,
  });
  cleanups.push(() => b.close());
  return b;
}

describe("MemcachedRateLimiterBackend", () => {
  test("a refused increment leaves the stored counter exactly as it was", async () => {
    const b = backend();
    const raw = memjs.Client.create(inject("memcachedServers"), { logger: { log() {} } });
    cleanups.push(() => raw.close());
    expect(await b.incr("c", 3, 3, 60_000)).toBe(true);
    expect(await b.incr("c", 1, 3, 60_000)).toBe(false);
    expect((await raw.get(`${b.namespace}:c`)).value?.toString()).toBe("3");
    expect(await b.decr("c", 5, 0, 60_000)).toBe(false);
    expect((await raw.get(`${b.namespace}:c`)).value?.toString()).toBe("3");
  });

  test("compare-and-swap holds under contention: 200 concurrent increments up to 50 admit exactly 50", async () => {
    const b = backend();
    const results = await Promise.all(
      Array.from({ length: 200 }, () => b.incr("hot", 1, 50, 60_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(50);
    expect(await b.incr("hot", 1, 50, 60_000)).toBe(false);
    expect(await b.decr("hot", 50, 0, 60_000)).toBe(true);
  });

  test("a concurrent limiter of 4 hammered by 32 callers in 4 processes never has more than 4 holders", async () => {
    const party = fileURLToPath(new URL("../fixtures/party.mjs", import.meta.url));
    const args = [inject("memcachedServers"), `rl-${randomUUID()}`, "mutex", "8"];
    const children = Array.from({ length: 4 }, () =>
      fork(party, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] }),
    );
    cleanups.push(() => {
      for (const c of children) c.kill();
    });
    const reports = children.map(
      (child) =>
        new Promise<{ intervals: [number, number][] }>((resolve) => {
          child.on("message", (m: { ready?: boolean; intervals?: [number, number][] }) => {
            if (m.intervals) resolve({ intervals: m.intervals });
          });
        }),
    );
    await Promise.all(children.map((c) => new Promise((r) => c.once("message", r))));
    for (const c of children) c.send("go");
    const intervals = (await Promise.all(reports)).flatMap((r) => r.intervals);
    expect(intervals).toHaveLength(32);
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(4);
    expect(maxOverlap(intervals)).toBeGreaterThanOrEqual(2);
  });

  test("an unreachable memcached is a clear ConnectionFailed", async () => {
    const b = backend({ servers: "127.0.0.1:1" });
    const error = await b.incr("x", 1, 1, 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toMatch(/memcached at 127\.0\.0\.1:1/);
  });
});
