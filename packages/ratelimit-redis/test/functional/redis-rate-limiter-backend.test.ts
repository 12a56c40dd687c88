import { randomUUID } from "node:crypto";
import { ConnectionFailed } from "@taskq/core";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, test } from "vitest";
import { RedisRateLimiterBackend } from "../../src/index.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function backend(
  options: ConstructorParameters<typeof RedisRateLimiterBackend>[0] = {},
): RedisRateLimiterBackend {
  const b = new RedisRateLimiterBackend({
    url: inject("redisUrl"),
    namespace: `rl-${randomUUID()}`,
    ...options,
  });
  cleanups.push(() => b.close());
  return b;
}

describe("RedisRateLimiterBackend", () => {
  test("a refused increment leaves the stored counter as it was; writes carry the TTL", async () => {
    const b = backend();
    const raw = new Redis(inject("redisUrl"));
    cleanups.push(() => raw.disconnect());
    expect(await b.incr("c", 3, 3, 60_000)).toBe(true);
    expect(await b.incr("c", 1, 3, 60_000)).toBe(false);
    expect(await raw.get(`${b.namespace}:c`)).toBe("3");
    const ttl = await raw.pttl(`${b.namespace}:c`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await b.waitNotify("ev", 5000);
    expect(await raw.pttl(`${b.namespace}:ev`)).toBeGreaterThan(4000);
  });

  test("an unreachable Redis is a clear ConnectionFailed", async () => {
    const b = backend({
      url: "redis://127.0.0.1:1",
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const error = await b.incr("x", 1, 1, 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toMatch(/Redis at 127\.0\.0\.1:1/);
  });
});
