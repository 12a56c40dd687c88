import { randomUUID } from "node:crypto";
import { actor, BrokerError, Worker } from "@taskq/core";
import type { Cluster } from "ioredis";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import type { RedisBroker } from "../../src/index.js";
import { captureLogs, eventually } from "../helpers.js";
import { makeClusterBroker, REDIS_CLUSTER_TESTS, skipCluster } from "./helpers.js";

if (!REDIS_CLUSTER_TESTS) {
  skipCluster(
    "RedisBroker on a Redis Cluster: layout, dead workers, pause, data queues, waitReplicas",
  );
} else {
  describe("RedisBroker on a Redis Cluster", () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    let logs: ReturnType<typeof captureLogs>;

    beforeAll(() => {
      logs = captureLogs();
    });

    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
    });

    function broker(options: Parameters<typeof makeClusterBroker>[0] = {}): RedisBroker {
      const b = makeClusterBroker(options);
      cleanups.push(() => b.close());
      return b;
    }

    async function worker(b: RedisBroker): Promise<Worker> {
      const w = new Worker(b, { workerTimeout: 100 });
      await w.start();
      cleanups.push(() => w.stop({ timeout: 5000 }));
      return w;
    }

    /** host:port of the master serving `key`'s slot. */
    async function ownerOf(cluster: Cluster, key: string): Promise<string> {
      const slot = (await cluster.cluster("KEYSLOT", key)) as number;
      const ranges = (await cluster.cluster("SLOTS")) as unknown as [
        number,
        number,
        [string, number],
      ][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to)!;
      return `${range[2][0]}:${range[2][1]}`;
    }

    test("every key of a queue shares one slot, and queues spread over the masters, each processed", async () => {
      const b = broker();
      const cluster = b.client as Cluster;
      const queues = Array.from({ length: 12 }, (_, i) => `spread${i}`);
      const owners = new Set<string>();
      for (const q of queues) {
        const k = b.keys;
        const keys = [
          k.queue(q),
          k.messages(q),
          k.queue(`${q}.DQ`),
          k.messages(`${q}.DQ`),
          k.acks(q),
          k.acks(`${q}.DQ`),
          k.dead(q),
          k.deadMessages(q),
        ];
        const slots = new Set(
          await Promise.all(keys.map((key) => cluster.cluster("KEYSLOT", key) as Promise<number>)),
        );
        expect(slots.size, `the keys of ${q}: ${keys.join(" ")}`).toBe(1);
        owners.add(await ownerOf(cluster, k.queue(q)));
      }
      expect(owners.size).toBeGreaterThanOrEqual(2);

      const done = new Set<string>();
      for (const q of queues) {
        const a = actor((n: string) => void done.add(n), {
          broker: b,
          actorName: `job_${q}`,
          queueName: q,
        });
        await a.send(q);
        await a.sendWithOptions({ args: [`${q}-later`], delay: 50 });
      }
      await worker(b);
      await eventually(() => done.size === queues.length * 2, 15_000, "every message processed");
      for (const q of queues) {
        expect(await b.getQueueMessageCounts(q)).toEqual({
          ready: 0,
          delayed: 0,
          dead: 0,
          inProgress: 0,
        });
      }
    });

    test("a dead worker's messages come back after heartbeatTimeout, on a queue only its registry names", async () => {
      const namespace = `test-${randomUUID()}`;
      const dying = makeClusterBroker({ namespace, heartbeatTimeout: 500 });
      const job = actor((_n: number) => undefined, {
        broker: dying,
        actorName: "job",
        queueName: "only_dying",
      });
      for (let i = 0; i < 6; i++) await job.send(i);
      const consumer = dying.consume("only_dying", { prefetch: 4 });
      expect(await consumer.fetch(4, { timeout: 1000 })).toHaveLength(4);
      await dying.heartbeat();
      await dying.close();

      // The survivor consumes another queue: only the dead worker's registry leads it to
      // only_dying, whose ids it must put back in the list.
      const survivor = broker({ namespace, heartbeatTimeout: 500 });
      actor(() => undefined, { broker: survivor, actorName: "other", queueName: "elsewhere" });
      await worker(survivor);
      await eventually(
        async () => (await survivor.getQueueMessageCounts("only_dying")).ready === 6,
        10_000,
        "the four held messages back on only_dying",
      );
      // Logged once the run has struck the dead worker off, just after the give-back.
      await eventually(
        () => logs.some((l) => l.msg.includes("held by dead workers")),
        5000,
        "the give-back logged",
      );
      const cluster = survivor.client as Cluster;
      expect(await cluster.zscore(survivor.keys.heartbeats, dying.brokerId)).toBeNull();
      expect(await cluster.exists(survivor.keys.registryOf(dying.brokerId))).toBe(0);
      expect(await cluster.exists(survivor.keys.acks("only_dying", dying.brokerId))).toBe(0);
    });

    test("pause and resume reach workers; a blocked data-queue get wakes on a put", async () => {
      const b = broker();
      const ran: number[] = [];
      const a = actor((n: number) => void ran.push(n), {
        broker: b,
        actorName: "p",
        queueName: "pq",
      });
      await worker(b);
      await b.pauseQueue("pq");
      expect(await b.pausedQueues()).toEqual(["pq"]);
      // Give the worker's pause watch its notice.
      await new Promise((r) => setTimeout(r, 500));
      await a.send(1);
      await new Promise((r) => setTimeout(r, 700));
      expect(ran).toEqual([]);
      await b.resumeQueue("pq");
      await eventually(() => ran.length === 1, 5000, "the message runs once resumed");

      const data = b.dataQueue<string>("items");
      const t0 = Date.now();
      const got = data.get(1, { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 200));
      await data.put(["x"]);
      expect([...(await got).values()]).toEqual(["x"]);
      expect(Date.now() - t0).toBeLessThan(5000);
    });

    test("listWorkers lists several workers, whose registries live in different slots", async () => {
      const namespace = `lw-${randomUUID().slice(0, 8)}`;
      const reader = broker({ namespace });
      const brokers = [broker({ namespace }), broker({ namespace }), broker({ namespace })];
      for (const [i, b] of brokers.entries()) {
        actor(() => undefined, { broker: b, actorName: "a", queueName: `lw${i}` });
        await worker(b);
      }
      let ids: string[] = [];
      await eventually(
        async () => {
          const listed = await reader.listWorkers();
          ids = listed.filter((w) => w.queues.length > 0).map((w) => w.id);
          return ids.length === brokers.length;
        },
        15_000,
        "three workers listed with their queues",
      );
      expect(ids.sort()).toEqual(brokers.map((b) => b.keys.brokerId).sort());
    });

    test("waitReplicas: a send no replica acknowledged rejects with a BrokerError saying so", async () => {
      // The run's cluster has no replicas.
      const b = broker({ waitReplicas: 1, connectionTimeout: 300 });
      const a = actor(() => undefined, { broker: b, actorName: "w", queueName: "wq" });
      const err = await a.send().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrokerError);
      expect((err as Error).message).toMatch(/only 0 of the 1 replicas \(waitReplicas\)/);
      // The same send with waitReplicas 0 resolves: the option is what made it fail.
      const plain = broker({ connectionTimeout: 300 });
      const b2 = actor(() => undefined, { broker: plain, actorName: "w", queueName: "wq" });
      await expect(b2.send()).resolves.toBeDefined();
    });
  });
}
