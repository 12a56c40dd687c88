import { randomUUID } from "node:crypto";
import type { Message } from "@taskq/core";
import { ConnectionError, InvalidArgument, StubBroker } from "@taskq/core";
import { captureLogs, sleep } from "@taskq/core/testing";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, test } from "vitest";
import { RedisScheduleStore, Scheduler } from "../../src/index.js";
import { setup } from "../unit/helpers.js";

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

function store(options: ConstructorParameters<typeof RedisScheduleStore>[0] = {}) {
  const s = new RedisScheduleStore({
    url: inject("redisUrl"),
    namespace: `t-${randomUUID()}`,
    ...options,
  });
  opened.push(s);
  return s;
}

describe("RedisScheduleStore", () => {
  test("compare-and-set writes only when every expected field matches (null: absent)", async () => {
    const s = store();
    expect(await s.get("a")).toBeUndefined();
    expect(await s.compareAndSet("a", { spec: null }, { spec: "x", next: "100" })).toEqual({
      ok: true,
      state: { spec: "x", next: "100" },
    });
    // A second claimer comparing the old next loses and sees the winner's state.
    expect(await s.compareAndSet("a", { next: "100" }, { next: "200", claim: "c1" })).toMatchObject(
      { ok: true },
    );
    expect(await s.compareAndSet("a", { next: "100" }, { next: "200", claim: "c2" })).toEqual({
      ok: false,
      state: { spec: "x", next: "200", claim: "c1" },
    });
    expect(await s.compareAndSet("a", { spec: null }, { spec: "y" })).toMatchObject({ ok: false });
    expect(await s.compareAndSet("a", { claim: "c1" }, { claim: null, lastRun: "150" })).toEqual({
      ok: true,
      state: { spec: "x", next: "200", lastRun: "150" },
    });
    const raw = new Redis(inject("redisUrl"));
    expect(await raw.hgetall(`${s.namespace}:__schedules__.a`)).toEqual({
      spec: "x",
      next: "200",
      lastRun: "150",
    });
    await raw.quit();
    await s.delete("a");
    expect(await s.get("a")).toBeUndefined();
  });

  test("uses a client it is given and leaves it open", async () => {
    const client = new Redis(inject("redisUrl"));
    const s = new RedisScheduleStore({ client, namespace: `t-${randomUUID()}` });
    await s.compareAndSet("a", {}, { spec: "x" });
    await s.close();
    expect(await client.hget(`${s.namespace}:__schedules__.a`, "spec")).toBe("x");
    await client.quit();
  });

  test("bad options are an InvalidArgument naming them", () => {
    expect(() => new RedisScheduleStore({ namespace: "" })).toThrow(
      new InvalidArgument('RedisScheduleStore option namespace must be a non-empty string, got ""'),
    );
    expect(() => new RedisScheduleStore({ connectionTimeout: 0 })).toThrow(
      "RedisScheduleStore option connectionTimeout must be a finite number > 0, got 0",
    );
    expect(() => new RedisScheduleStore({ client: {} as never })).toThrow(
      "RedisScheduleStore option client must be an ioredis client, got {}",
    );
    expect(
      () =>
        new RedisScheduleStore({
          url: "redis://127.0.0.1:1",
          client: new Redis({ lazyConnect: true }),
        }),
    ).toThrow("RedisScheduleStore takes either url or client, not both");
  });

  test("an unreachable server is a ConnectionError naming its address", async () => {
    const s = new RedisScheduleStore({ url: "redis://127.0.0.1:1", connectionTimeout: 500 });
    opened.push(s);
    const error = await s.get("a").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /^Could not read schedule "a" on Redis at 127\.0\.0\.1:1: /,
    );
  });
});

describe("schedulers on Redis", () => {
  test("two schedulers (real time) send each tick once; list reads the shared state", async () => {
    captureLogs();
    const { broker, sent, task } = setup();
    const namespace = `t-${randomUUID()}`;
    const schedulers = [0, 1].map(() => {
      const s = new Scheduler({ broker, store: store({ namespace }) });
      opened.push(s);
      return s;
    });
    for (const s of schedulers) {
      await s.every("fast", task, 500);
      await s.start();
    }
    await sleep(3200);
    for (const s of schedulers) await s.stop();
    const ticks = sent.ticks();
    expect(ticks.length).toBeGreaterThanOrEqual(6);
    expect(new Set(ticks).size).toBe(ticks.length);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(500);
    const [a, b] = await Promise.all(schedulers.map((s) => s.list()));
    expect(a).toEqual(b);
    expect(a![0]).toMatchObject({
      lastRun: ticks.at(-1),
      lastMessageId: sent.messages.at(-1)!.message.messageId,
      nextRun: ticks.at(-1)! + 500,
    });
  });

  test("a tick claimed by a scheduler that never sends it is sent by another within 5 s", async () => {
    const logs = captureLogs();
    const { broker, sent, task } = setup();
    const namespace = `t-${randomUUID()}`;
    class Hung extends StubBroker {
      protected override doEnqueue<R>(): Promise<Message<R>> {
        return new Promise(() => {});
      }
    }
    const hung = new Hung();
    hung.declareQueue("default");
    const stuck = new Scheduler({ broker: hung, store: store({ namespace }) });
    await stuck.every("job", task, 60_000);
    await stuck.start();
    const look = store({ namespace });
    while ((await look.get("job"))?.claim === undefined) await sleep(10);
    const claimedAt = Date.now();
    const survivor = new Scheduler({ broker, store: store({ namespace }) });
    opened.push(survivor);
    await survivor.every("job", task, 60_000);
    await survivor.start();
    while (sent.messages.length === 0 && Date.now() - claimedAt < 10_000) await sleep(20);
    expect(sent.messages).toHaveLength(1);
    expect(Date.now() - claimedAt).toBeLessThan(5000);
    expect(
      logs.some((l) => l.level === "warn" && l.msg.includes("did not send them in time")),
    ).toBe(true);
  });
});
