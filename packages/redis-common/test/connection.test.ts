import { randomUUID } from "node:crypto";
import {
  BrokerError,
  ConnectionClosed,
  ConnectionError,
  InvalidArgument,
  lazyLogger,
} from "@taskq/core";
import { captureLogs, sleep, waitUntil } from "@taskq/core/testing";
import type { RedisServer } from "@taskq/test-servers";
import { startRedis } from "@taskq/test-servers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createClient, RedisConnection } from "../src/index.js";

let server: RedisServer;
let down = false;
let logs: ReturnType<typeof captureLogs>;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startRedis({ durable: true });
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  if (down) {
    await server.restart();
    down = false;
  }
});

function connection(connectionTimeout = 10_000): RedisConnection {
  const c = new RedisConnection({
    client: createClient("Test", server.url, {}),
    owned: true,
    connectionTimeout,
    what: "test",
    log: lazyLogger("taskq.test"),
  });
  cleanups.push(() => c.close());
  return c;
}

/** A write that keeps Redis busy for `ms` before it applies: in flight long enough to kill Redis under it. */
const SLOW_INCR = `
local start = redis.call("time")
local until_us = (tonumber(start[1]) * 1000000 + tonumber(start[2])) + tonumber(ARGV[1]) * 1000
repeat
  local now = redis.call("time")
until tonumber(now[1]) * 1000000 + tonumber(now[2]) >= until_us
return redis.call("incr", KEYS[1])`;

describe("RedisConnection", () => {
  test("a write in flight when Redis dies fails with ConnectionClosed and is not sent again when Redis is back", async () => {
    const c = connection();
    const key = `slow-${randomUUID()}`;
    await c.run("warm up", (client) => client.ping());
    const write = c.run("increment slowly", (client) => client.eval(SLOW_INCR, 1, key, 1500));
    const outcome = write.then(
      () => "resolved",
      (err: unknown) => err,
    );
    await sleep(300);
    down = true;
    await server.crash();
    const error = await outcome;
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect((error as Error).message).toMatch(
      /^Could not increment slowly on Redis at 127\.0\.0\.1:\d+: the connection dropped before Redis replied/,
    );
    await server.restart();
    down = false;
    await c.waitReady("check", 10_000);
    await sleep(2500);
    expect(await c.client.get(key)).toBeNull();
  });

  test("a read marked idempotent runs again once the connection is back", async () => {
    const c = connection();
    const key = `list-${randomUUID()}`;
    await c.run("warm up", (client) => client.ping());
    const end = Date.now() + 20_000;
    const popped = c.run(
      "wait on a list",
      (client) =>
        client.blmove(key, key, "RIGHT", "LEFT", Math.max(0.001, (end - Date.now()) / 1000)),
      { idempotent: true },
    );
    await sleep(300);
    down = true;
    await server.crash();
    await sleep(500);
    await server.restart();
    down = false;
    // The waiting connection is blocked: push from another one.
    const other = connection();
    await other.run("push", (client) => client.rpush(key, "x"));
    expect(await popped).toBe("x");
  });

  test("an error Redis replies with is a BrokerError naming the address and the operation, not a ConnectionError", async () => {
    const c = connection();
    const key = `str-${randomUUID()}`;
    await c.run("set", (client) => client.set(key, "text"));
    const error = await c
      .run("push on a string", (client) => client.lpush(key, "x"))
      .catch((e) => e);
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).not.toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /^Could not push on a string on Redis at 127\.0\.0\.1:\d+: WRONGTYPE/,
    );
  });

  test("an outage is logged once, and the recovery once", async () => {
    const c = connection();
    await c.run("warm up", (client) => client.ping());
    down = true;
    await server.crash();
    await sleep(1000);
    await server.restart();
    down = false;
    await c.waitReady("check", 10_000);
    await waitUntil(() => logs.some((l) => l.msg.includes("is back")), { timeout: 5000 });
    expect(logs.filter((l) => l.msg.includes("Lost the test connection")).length).toBe(1);
    expect(
      logs.filter((l) => l.msg.includes("test connection to Redis") && l.msg.includes("is back"))
        .length,
    ).toBe(1);
  });

  test("close() ends waits at once with ConnectionClosed", async () => {
    const c = connection(30_000);
    down = true;
    await server.crash();
    await waitUntil(() => c.client.status !== "ready", { timeout: 5000 });
    const started = Date.now();
    const waiting = c.run("wait", (client) => client.ping()).catch((e: unknown) => e);
    await sleep(100);
    c.close();
    expect(await waiting).toBeInstanceOf(ConnectionClosed);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test("a client taskq creates must not resend commands: maxRetriesPerRequest other than 0 is refused", () => {
    expect(() => createClient("RedisBroker", server.url, { maxRetriesPerRequest: 20 })).toThrow(
      InvalidArgument,
    );
    expect(() => createClient("RedisBroker", server.url, { maxRetriesPerRequest: null })).toThrow(
      /RedisBroker option maxRetriesPerRequest must be 0/,
    );
  });
});
