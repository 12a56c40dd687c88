import { randomUUID } from "node:crypto";
import { captureLogs, sleep } from "@taskq/core/testing";
import { REDIS_CLUSTER_TESTS } from "@taskq/test-servers";
import { Cluster } from "ioredis";
import { afterEach, describe, expect, inject, test } from "vitest";
import { RedisScheduleStore, Scheduler } from "../../src/index.js";
import { setup } from "../unit/helpers.js";

if (!REDIS_CLUSTER_TESTS) {
  test.skip("RedisScheduleStore on a Redis Cluster (skipped: set TASKQ_REDIS_CLUSTER=1 to start a local Redis Cluster and run it)", () => {});
} else {
  describe("RedisScheduleStore on a Redis Cluster", () => {
    const clients: Cluster[] = [];
    const opened: { close(): Promise<void> }[] = [];
    afterEach(async () => {
      for (const o of opened.splice(0).reverse()) await o.close();
      for (const c of clients.splice(0)) c.disconnect();
    });

    function store(namespace: string): RedisScheduleStore {
      const client = new Cluster(JSON.parse(inject("redisClusterNodes")));
      clients.push(client);
      const s = new RedisScheduleStore({ client, namespace });
      opened.push(s);
      return s;
    }

    test("compare-and-set writes only when every expected field matches, under the namespace's tag", async () => {
      const s = store(`t-${randomUUID()}`);
      expect(await s.compareAndSet("a", { spec: null }, { spec: "x", next: "100" })).toEqual({
        ok: true,
        state: { spec: "x", next: "100" },
      });
      expect(await s.compareAndSet("a", { next: "1" }, { next: "200" })).toEqual({
        ok: false,
        state: { spec: "x", next: "100" },
      });
      expect(await clients[0]!.hgetall(`{${s.namespace}}:__schedules__.a`)).toEqual({
        spec: "x",
        next: "100",
      });
      await s.delete("a");
      expect(await s.get("a")).toBeUndefined();
    });

    test("two schedulers (real time) send each tick once", async () => {
      captureLogs();
      const { broker, sent, task } = setup();
      const namespace = `t-${randomUUID()}`;
      const schedulers = [0, 1].map(() => {
        const s = new Scheduler({ broker, store: store(namespace) });
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
      expect(ticks.length).toBeGreaterThanOrEqual(5);
      expect(new Set(ticks).size).toBe(ticks.length);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(500);
    });
  });
}
