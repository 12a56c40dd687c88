import { randomUUID } from "node:crypto";
import {
  actor,
  Cancel,
  Canceled,
  getAbortSignal,
  InvalidArgument,
  StubBroker,
  Worker,
} from "@taskq/core";
import { captureLogs, gate, waitUntil } from "@taskq/core/testing";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, test } from "vitest";
import { RedisCancelBackend } from "../../src/index.js";

const opened: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close();
});

function backend(options: Record<string, unknown> = {}): RedisCancelBackend {
  const b = new RedisCancelBackend({
    url: inject("redisUrl"),
    namespace: `rc-${randomUUID()}`,
    ...options,
  });
  opened.push(b);
  return b;
}

describe("RedisCancelBackend", () => {
  test("marks live in one sorted set under the namespace, trimmed of marks past the TTL", async () => {
    const b = backend({ ttl: 300 });
    const redis = new Redis(inject("redisUrl"));
    opened.push({ close: () => redis.disconnect() });
    await b.cancel(["a", "b"]);
    expect(await redis.zcard(b.marksKey)).toBe(2);
    expect(b.marksKey.startsWith(`${b.namespace}:`)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    await b.cancel(["c"]);
    expect(await redis.zrange(b.marksKey, "0", "-1")).toEqual(["c"]);
  });

  test("a subscriber that lost its connection is told notices may have been missed", async () => {
    const name = `gap-${randomUUID()}`;
    const b = backend({ connectionName: name });
    let gaps = 0;
    const heard: string[] = [];
    await b.subscribe({ onCancel: (ids) => heard.push(...ids), onGap: () => gaps++ });
    const redis = new Redis(inject("redisUrl"));
    opened.push({ close: () => redis.disconnect() });
    // Only this backend's subscriber (other tests share the server).
    const list = (await redis.call("CLIENT", "LIST")) as string;
    const ids = list
      .split("\n")
      .filter((line) => line.includes(`name=${name}`) && / flags=P /.test(line))
      .map((line) => /^id=(\d+)/.exec(line)?.[1]);
    expect(ids).toHaveLength(1);
    await redis.call("CLIENT", "KILL", "ID", ids[0]!);
    await waitUntil(() => gaps === 1, { timeout: 10_000, what: "the gap reported" });
    // Subscribed again: notices arrive as before.
    await waitUntil(
      async () => {
        await b.cancel([`x-${heard.length}`]);
        return heard.length > 0;
      },
      { timeout: 10_000, what: "a notice after the reconnect" },
    );
  });

  test("a cancel whose notice was missed while the worker was disconnected still interrupts the message", async () => {
    captureLogs();
    const name = `missed-${randomUUID()}`;
    const b = backend({ connectionName: name });
    const broker = new StubBroker({ failFastDefault: false });
    const cancels = new Cancel({ backend: b });
    broker.addMiddleware(cancels);
    const started = gate();
    let reason: unknown;
    const long = actor(
      async () => {
        started.open();
        const signal = getAbortSignal();
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        reason = signal.reason;
      },
      { broker, actorName: "long" },
    );
    const worker = new Worker(broker, { workerTimeout: 50 });
    opened.push({ close: () => worker.stop({ timeout: 2000 }) });
    await worker.start();
    const m = await long.send();
    await started.promise;
    const redis = new Redis(inject("redisUrl"));
    opened.push({ close: () => redis.disconnect() });
    // A mark with no notice (as if published while the worker's subscription was down)...
    await redis.zadd(b.marksKey, Date.now(), m.messageId);
    // ...then the subscription drops and comes back: the worker looks at its marks again.
    const list = (await redis.call("CLIENT", "LIST")) as string;
    const id = list
      .split("\n")
      .find((line) => line.includes(`name=${name}`) && / flags=P /.test(line))
      ?.match(/^id=(\d+)/)?.[1];
    await redis.call("CLIENT", "KILL", "ID", id!);
    await waitUntil(() => cancels.counts.interrupted === 1, {
      timeout: 10_000,
      what: "the running message interrupted",
    });
    expect(reason).toBeInstanceOf(Canceled);
  });

  test("bad options are InvalidArgument naming the option", () => {
    expect(() => new RedisCancelBackend({ namespace: "", lazyConnect: true })).toThrow(
      /RedisCancelBackend option namespace must be a non-empty string/,
    );
    expect(() => new RedisCancelBackend({ ttl: 0, lazyConnect: true })).toThrow(InvalidArgument);
  });
});
