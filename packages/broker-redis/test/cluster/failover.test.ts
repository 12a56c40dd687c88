import { actor, Worker } from "@taskq/core";
import { type RedisCluster, startRedisCluster } from "@taskq/test-servers";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RedisBroker } from "../../src/index.js";
import { captureLogs, eventually, sleep } from "../helpers.js";
import { REDIS_CLUSTER_TESTS, skipCluster } from "./helpers.js";

const NAME =
  "a master SIGKILLed under producers and a worker, its replica promoted: with waitReplicas 1, no acknowledged send is lost";

/**
 * `waitReplicas` of the producer. TASKQ_FAILOVER_WAIT_REPLICAS=0 measures what is lost without
 * it (the README's control figures; the test then fails if anything was).
 */
const WAIT_REPLICAS = Number(process.env.TASKQ_FAILOVER_WAIT_REPLICAS ?? 1);

/** How many messages the producers send, and how many at once. */
const TOTAL = 3000;
const IN_FLIGHT = 20;

if (!REDIS_CLUSTER_TESTS) {
  skipCluster(NAME);
} else {
  describe("RedisBroker on a 6-node Redis Cluster", () => {
    let cluster: RedisCluster;

    beforeAll(async () => {
      captureLogs();
      cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    }, 120_000);

    afterAll(async () => {
      await cluster?.destroy();
    }, 60_000);

    test(NAME, { timeout: 180_000 }, async () => {
      const queue = "failover";
      const namespace = `failover-${Date.now()}`;
      const options = {
        cluster: { nodes: [...cluster.startupNodes] },
        namespace,
        waitReplicas: WAIT_REPLICAS,
        // Also WAIT's timeout: a send no replica took within 5 s rejects (it is not lost).
        connectionTimeout: 5000,
      };
      const producer = new RedisBroker(options);
      const consuming = new RedisBroker(options);
      const processed = new Set<number>();
      let runs = 0;
      const define = (broker: RedisBroker) =>
        actor(
          (i: number) => {
            runs++;
            processed.add(i);
          },
          { broker, actorName: "record", queueName: queue, maxRetries: 100, minBackoff: 100 },
        );
      const send = define(producer);
      define(consuming);
      const worker = new Worker(consuming, { workerTimeout: 100, concurrency: 4 });
      await worker.start();

      let sent = 0;
      const acked = new Set<number>();
      const failed: string[] = [];
      let next = 0;
      const produce = async () => {
        while (next < TOTAL) {
          const i = next++;
          sent++;
          try {
            await send.send(i);
            acked.add(i);
          } catch (err) {
            failed.push(`${i}: ${(err as Error).message}`);
          }
        }
      };
      const producers = Array.from({ length: IN_FLIGHT }, produce);

      await eventually(() => acked.size >= TOTAL / 4, 60_000, "a quarter acknowledged");
      // The master that owns the queue's slot.
      const client = producer.client as Cluster;
      const slot = (await client.cluster("KEYSLOT", producer.keys.queue(queue))) as number;
      const ranges = (await client.cluster("SLOTS")) as unknown as [
        number,
        number,
        [string, number],
      ][];
      const ownerPort = ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
      const masters = await cluster.masters();
      const index = masters.findIndex((m) => m.port === ownerPort);
      expect(index).toBeGreaterThanOrEqual(0);
      const killedAt = { acked: acked.size, processed: processed.size };
      const t0 = Date.now();
      const killed = await cluster.killMaster(index);
      await cluster.waitFailover(killed, 60_000);
      const failoverMs = Date.now() - t0;
      // Its shard has no replica now, so no send is acknowledged until the operator brings
      // the old master back: it rejoins as the new master's replica.
      await cluster.restartNode(killed);
      const replicaBackMs = Date.now() - t0;
      await Promise.all(producers);
      const produceMs = Date.now() - t0;
      await eventually(
        () => [...acked].every((i) => processed.has(i)),
        60_000,
        "every acknowledged message processed",
      ).catch(() => {});
      await sleep(500);
      const lost = [...acked].filter((i) => !processed.has(i));
      await worker.stop({ timeout: 10_000 });
      await consuming.close();
      await producer.close();

      const figures = {
        sent,
        acked: acked.size,
        failedSends: failed.length,
        processed: processed.size,
        runs,
        duplicates: runs - processed.size,
        lost: lost.length,
        waitReplicas: WAIT_REPLICAS,
        killedAfterAcked: killedAt.acked,
        killedAfterProcessed: killedAt.processed,
        msFromKillToReplicaPromoted: failoverMs,
        msFromKillToNewReplicaLinked: replicaBackMs,
        msFromKillToLastSend: produceMs,
      };
      console.log(`redis cluster failover figures: ${JSON.stringify(figures)}`);
      if (failed.length > 0) console.log(`first failed sends: ${failed.slice(0, 3).join(" | ")}`);
      expect(lost).toEqual([]);
      expect(sent).toBe(TOTAL);
      // Every send either resolved or told its caller it failed: none vanished silently.
      expect(acked.size + failed.length).toBe(TOTAL);
      // Sends made while the slot had no master waited for the promotion (CLUSTERDOWN and
      // MOVED are refusals, tried again): at most the few whose WAIT timed out before the old
      // master came back as a replica failed.
      expect(failed.length).toBeLessThanOrEqual(TOTAL / 30);
    });
  });
}
