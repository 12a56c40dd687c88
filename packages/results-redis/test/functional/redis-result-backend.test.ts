import { createHash } from "node:crypto";
import { ConnectionFailed, Message, ResultFailure, ResultTimeout } from "@taskq/core";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, test } from "vitest";
import { RedisResultBackend } from "../../src/index.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function backend(
  options: ConstructorParameters<typeof RedisResultBackend>[0] = {},
): RedisResultBackend {
  const b = new RedisResultBackend({ url: inject("redisUrl"), ...options });
  cleanups.push(() => b.close());
  return b;
}

function raw(): Redis {
  const r = new Redis(inject("redisUrl"));
  cleanups.push(async () => r.disconnect());
  return r;
}

const message = new Message({
  queueName: "emails.DQ",
  actorName: "send_welcome",
  args: [],
  messageId: "7387dc76-8ebe-426e-aec1-db34c236563c",
});

describe("RedisResultBackend", () => {
  test("keys and stored JSON are Dramatiq's, for a value and for a failure", async () => {
    const b = backend({ namespace: "dramatiq-results" });
    const r = raw();
    // Computed here independently: md5 of namespace:queue:actor:id, the delay suffix dropped.
    const key = createHash("md5")
      .update("dramatiq-results:emails:send_welcome:7387dc76-8ebe-426e-aec1-db34c236563c")
      .digest("hex");
    await b.storeResult(message, { sent: true, to: ["a@b.c"] }, 60_000);
    expect(await r.type(key)).toBe("list");
    expect(await r.lrange(key, 0, -1)).toEqual(['{"sent":true,"to":["a@b.c"]}']);
    const ttl = await r.pttl(key);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    await b.storeException(message, new RangeError("mailbox full"), 60_000);
    expect(await r.lrange(key, 0, -1)).toEqual([
      '{"__t":"dramatiq.results.Result","exn":{"type":"RangeError","msg":"mailbox full"}}',
    ]);
    const error = await b.getResult(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultFailure);
  });

  test("a result Python's Dramatiq stored is read", async () => {
    const b = backend({ namespace: "dramatiq-results" });
    const key = b.buildMessageKey(message);
    await raw().lpush(key, '{"words":338,"url":"caf\\u00e9"}');
    expect(await b.getResult(message)).toEqual({ words: 338, url: "café" });
  });

  test("blocking gets wait on the server and wake on store; concurrent waits do not hold each other up", async () => {
    const b = backend({ namespace: `blocking-${Math.random()}` });
    const m1 = message.copy({ messageId: "a" });
    const m2 = message.copy({ messageId: "b" });
    const first = b.getResult(m1, { block: true, timeout: 10_000 });
    const second = b.getResult(m2, { block: true, timeout: 10_000 });
    let firstStored = false;
    setTimeout(() => void b.storeResult(m2, 2, 60_000), 100);
    setTimeout(() => {
      firstStored = true;
      void b.storeResult(m1, 1, 60_000);
    }, 1500);
    expect(await second).toBe(2);
    // The second wait woke on its own store, not when the first wait's blocking call ended.
    expect(firstStored).toBe(false);
    expect(await first).toBe(1);
  });

  test("a sub-second blocking timeout is honoured", async () => {
    const b = backend({ namespace: `timeout-${Math.random()}` });
    const started = Date.now();
    await expect(b.getResult(message, { block: true, timeout: 250 })).rejects.toBeInstanceOf(
      ResultTimeout,
    );
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(200);
    expect(waited).toBeLessThan(900);
  });

  test("an unreachable Redis is a clear ConnectionFailed", async () => {
    const b = backend({
      url: "redis://127.0.0.1:1",
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const error = await b.storeResult(message, 1, 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toMatch(/Redis at 127\.0\.0\.1:1/);
  });
});
