import { ConnectionClosed, ConnectionFailed, Message } from "@taskq/core";
import { captureLogs, sleep, waitUntil } from "@taskq/core/testing";
import type { RedisServer } from "@taskq/test-servers";
import { freePort, startRedis } from "@taskq/test-servers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { RedisResultBackendOptions } from "../../src/index.js";
import { RedisResultBackend } from "../../src/index.js";

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

function backend(options: RedisResultBackendOptions): RedisResultBackend {
  const b = new RedisResultBackend(options);
  cleanups.push(() => b.close());
  return b;
}

function message(): Message {
  return new Message({ queueName: "default", actorName: "add", args: [] });
}

async function timed(run: () => Promise<unknown>): Promise<[number, unknown]> {
  const start = performance.now();
  const outcome = await run().then(
    () => "resolved",
    (err: unknown) => err,
  );
  return [performance.now() - start, outcome];
}

describe("RedisResultBackend connectionTimeout", () => {
  test("storing and reading against a port nothing listens on fail after connectionTimeout with ConnectionFailed naming the address", async () => {
    const port = await freePort();
    const b = backend({ url: `redis://127.0.0.1:${port}`, connectionTimeout: 1000 });
    expect(b.connectionTimeout).toBe(1000);
    const m = message();
    const results = await Promise.all([
      timed(() => b.storeResult(m, 1, 60_000)),
      timed(() => b.getResult(m)),
      timed(() => b.getResult(m, { block: true, timeout: 30_000 })),
    ]);
    for (const [ms, error] of results) {
      expect(error).toBeInstanceOf(ConnectionFailed);
      expect((error as Error).message).toContain(`Redis at 127.0.0.1:${port}`);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(5000);
    }
  });

  test("the default connectionTimeout is 10 s", () => {
    const b = backend({ url: server.url, lazyConnect: true });
    expect(b.connectionTimeout).toBe(10_000);
  });

  test("storing against a Redis killed mid-run fails after connectionTimeout with ConnectionClosed", async () => {
    const b = backend({ url: server.url, connectionTimeout: 1000 });
    const m = message();
    await b.storeResult(m, 1, 60_000);
    await crash();
    await waitUntil(() => b.client.status !== "ready", { timeout: 5000, what: "the crash seen" });
    const [ms, error] = await timed(() => b.storeResult(m, 2, 60_000));
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect((error as Error).message).toMatch(/^Could not store a result on Redis at 127\.0\.0\.1:/);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5000);
  });

  test("a blocking get waiting through a short restart gets the result stored after it", async () => {
    const b = backend({ url: server.url, connectionTimeout: 10_000 });
    const writer = backend({ url: server.url, connectionTimeout: 10_000 });
    const m = message();
    await writer.storeResult(message(), 0, 60_000);
    const waiting = b.getResult<number>(m, { block: true, timeout: 20_000 });
    await sleep(300);
    await crash();
    await sleep(1500);
    await restart();
    await writer.storeResult(m, 42, 60_000);
    expect(await waiting).toBe(42);
  });
});
