import { randomUUID } from "node:crypto";
import { ConnectionClosed, ConnectionFailed } from "@taskq/core";
import { captureLogs, sleep, waitUntil } from "@taskq/core/testing";
import type { RedisServer } from "@taskq/test-servers";
import { freePort, startRedis } from "@taskq/test-servers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { RedisRateLimiterBackendOptions } from "../../src/index.js";
import { RedisRateLimiterBackend } from "../../src/index.js";

// A durable server of its own, since these tests kill and restart it.
let server: RedisServer;
let down = false;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedis({ durable: true });
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
  if (down) await restart();
});

async function crash(): Promise<void> {
  down = true;
  await server.crash();
}

async function restart(): Promise<void> {
  await server.restart();
  down = false;
}

function backend(options: RedisRateLimiterBackendOptions): RedisRateLimiterBackend {
  const b = new RedisRateLimiterBackend({ namespace: `rl-${randomUUID()}`, ...options });
  cleanups.push(() => b.close());
  return b;
}

async function timed(run: () => Promise<unknown>): Promise<[number, unknown]> {
  const start = performance.now();
  const outcome = await run().then(
    () => "resolved",
    (err: unknown) => err,
  );
  return [performance.now() - start, outcome];
}

describe("RedisRateLimiterBackend connectionTimeout", () => {
  test("operations against a port nothing listens on fail after connectionTimeout with ConnectionFailed naming the address", async () => {
    const port = await freePort();
    const b = backend({ url: `redis://127.0.0.1:${port}`, connectionTimeout: 1000 });
    expect(b.connectionTimeout).toBe(1000);
    const results = await Promise.all([
      timed(() => b.incr("k", 1, 10, 60_000)),
      timed(() => b.add("a", 1, 60_000)),
      timed(() => b.wait("w", 30_000)),
    ]);
    for (const [ms, error] of results) {
      expect(error).toBeInstanceOf(ConnectionFailed);
      expect((error as Error).message).toContain(`Redis at 127.0.0.1:${port}`);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(5000);
    }
  });

  test("an increment against a Redis killed mid-run fails after connectionTimeout with ConnectionClosed, and is not applied later", async () => {
    const b = backend({ url: server.url, connectionTimeout: 1000 });
    expect(await b.incr("k", 1, 10, 60_000)).toBe(true);
    await crash();
    await waitUntil(() => b.client.status !== "ready", { timeout: 5000, what: "the crash seen" });
    const [ms, error] = await timed(() => b.incr("k", 1, 10, 60_000));
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5000);
    await restart();
    await waitUntil(() => b.client.status === "ready", { timeout: 10_000, what: "reconnected" });
    await sleep(300);
    expect(await b.client.get(`${b.namespace}:k`)).toBe("1");
  });

  test("an increment made during a short restart waits for it and is applied once", async () => {
    const b = backend({ url: server.url, connectionTimeout: 10_000 });
    expect(await b.incr("k", 1, 10, 60_000)).toBe(true);
    await crash();
    await waitUntil(() => b.client.status !== "ready", { timeout: 5000, what: "the crash seen" });
    const incremented = b.incr("k", 1, 10, 60_000);
    await sleep(1500);
    await restart();
    expect(await incremented).toBe(true);
    expect(await b.client.get(`${b.namespace}:k`)).toBe("2");
  });
});
