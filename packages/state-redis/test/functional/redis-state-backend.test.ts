import { randomUUID } from "node:crypto";
import type { StateRecord, StateUpdate } from "@taskq/core";
import { InvalidArgument } from "@taskq/core";
import { sleep, waitUntil } from "@taskq/core/testing";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, test } from "vitest";
import { RedisStateBackend } from "../../src/index.js";

const opened: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close();
});

function backend(options: Record<string, unknown> = {}): RedisStateBackend {
  const b = new RedisStateBackend({
    url: inject("redisUrl"),
    namespace: `rs-${randomUUID()}`,
    ...options,
  });
  opened.push(b);
  return b;
}

function admin(): Redis {
  const client = new Redis(inject("redisUrl"));
  opened.push({ close: () => client.disconnect() });
  return client;
}

function pending(ttl = 3_600_000, actorName = "job"): StateUpdate {
  const state: StateRecord = {
    messageId: randomUUID(),
    status: "pending",
    actorName,
    queueName: "default",
    args: [1],
    kwargs: {},
    options: {},
    priority: 0,
    retries: 0,
    enqueuedAt: Date.now(),
  };
  return {
    messageId: state.messageId,
    status: "pending",
    retries: 0,
    changes: {},
    initial: state,
    ttl,
  };
}

async function commandCalls(client: Redis, command: string): Promise<number> {
  const info = await client.info("commandstats");
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe("RedisStateBackend", () => {
  test("the writes of one turn go to Redis in a few script calls, not one per transition", async () => {
    const b = backend();
    const redis = admin();
    await b.get(randomUUID()); // scripts loaded
    await redis.config("RESETSTAT");
    const writes = Array.from({ length: 200 }, () => b.write([pending()]));
    await Promise.all(writes);
    // 50 transitions a call at most: 4 calls for 200.
    expect(await commandCalls(redis, "evalsha")).toBeLessThanOrEqual(5);
    expect(await b.count({ actorName: "job" })).toBe(200);
  });

  test("listing and counting never scan the keyspace", async () => {
    const b = backend();
    const redis = admin();
    await b.write(Array.from({ length: 20 }, () => pending(3_600_000, "scanless")));
    await redis.config("RESETSTAT");
    expect(await b.list({ actorName: "scanless", status: "pending", limit: 5 })).toHaveLength(5);
    expect(await b.count({ status: "pending" })).toBeGreaterThanOrEqual(20);
    expect(await b.count({ actorName: "scanless", queueName: "default" })).toBe(20);
    for (const command of ["scan", "keys"]) expect(await commandCalls(redis, command)).toBe(0);
  });

  test("an idle store gives expired states back: every column and set is emptied", async () => {
    const b = backend({ cleanupInterval: 200 });
    const redis = admin();
    await b.write([pending(300), pending(300)]);
    const prefix = `${b.namespace}:__state__:`;
    expect(await redis.hlen(`${prefix}st`)).toBe(2);
    await waitUntil(async () => (await redis.hlen(`${prefix}st`)) === 0, {
      timeout: 5000,
      what: "the expired states removed",
    });
    for (const column of ["body", "where", "eta", "error", "progress"])
      expect(await redis.hlen(`${prefix}${column}`)).toBe(0);
    for (const set of ["all", "actor:job", "queue:default", "expiry"])
      expect(await redis.zcard(`${prefix}${set}`)).toBe(0);
  });

  test("everything lives under the namespace", async () => {
    const b = backend();
    const redis = admin();
    await b.write([pending()]);
    const keys = await redis.keys("*");
    const own = keys.filter((k) => k.startsWith(`${b.namespace}:`));
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((k) => k.startsWith(`${b.namespace}:__state__:`))).toBe(true);
  });

  test("bad options and unstorable values are InvalidArgument naming the problem", async () => {
    expect(() => new RedisStateBackend({ namespace: "", lazyConnect: true })).toThrow(
      /RedisStateBackend option namespace must be a non-empty string/,
    );
    expect(() => new RedisStateBackend({ cleanupInterval: -1, lazyConnect: true })).toThrow(
      InvalidArgument,
    );
    const b = backend();
    const bad = pending();
    (bad.initial as StateRecord).actorName = "a\0b";
    await expect(b.write([bad])).rejects.toThrow(/actor name holding a NUL/);
    const other = pending();
    await expect(
      b.write([{ ...other, changes: { priority: 3 } as StateUpdate["changes"] }]),
    ).rejects.toThrow(/cannot change priority/);
  });

  test("a server that cannot be reached is a connection error naming its address", async () => {
    const b = new RedisStateBackend({
      port: 1,
      host: "127.0.0.1",
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    opened.push(b);
    const error = await b.get("x").catch((e: unknown) => e);
    expect((error as { code?: string }).code).toMatch(/^TASKQ_CONNECTION/);
    expect((error as Error).message).toContain("127.0.0.1:1");
    await sleep(10);
  });
});
