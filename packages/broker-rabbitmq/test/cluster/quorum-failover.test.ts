import { actor, Worker } from "@taskq/core";
import { type RabbitmqCluster, startRabbitmqCluster } from "@taskq/test-servers";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, eventually, sleep, uniqueQueue } from "../helpers/index.js";

const ENABLED = process.env.TASKQ_RABBITMQ_CLUSTER === "1";
const NAME =
  "quorum queues on a 3-node cluster: killing the node clients and queue leader are on loses no confirmed message";

/** How many messages the producers send, and how many at once. */
const TOTAL = 3000;
const IN_FLIGHT = 20;

if (!ENABLED) {
  // Opt-in: it boots three RabbitMQ nodes (about a minute on a small machine).
  test.skip(`${NAME} (skipped: set TASKQ_RABBITMQ_CLUSTER=1 to start a 3-node RabbitMQ cluster and run it)`, () => {});
} else {
  describe("RabbitmqBroker on a RabbitMQ cluster", () => {
    let cluster: RabbitmqCluster;

    beforeAll(async () => {
      captureLogs();
      cluster = await startRabbitmqCluster(3);
    }, 300_000);

    afterAll(async () => {
      await cluster?.destroy();
    }, 120_000);

    test(NAME, { timeout: 300_000 }, async () => {
      const queue = uniqueQueue("failover");
      const options = {
        url: [...cluster.urls],
        queueType: "quorum" as const,
        confirmDelivery: true,
        connectionTimeout: 30_000,
      };
      const producer = new RabbitmqBroker(options);
      const consuming = new RabbitmqBroker(options);
      const processed = new Set<number>();
      let runs = 0;
      const define = (broker: RabbitmqBroker) =>
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
      const confirmed = new Set<number>();
      const failed: string[] = [];
      let next = 0;
      const produce = async () => {
        while (next < TOTAL) {
          const i = next++;
          sent++;
          try {
            await send.send(i);
            confirmed.add(i);
          } catch (err) {
            failed.push(`${i}: ${(err as Error).message}`);
          }
        }
      };
      const producers = Array.from({ length: IN_FLIGHT }, produce);
      const started = Date.now();
      const progress = setInterval(() => {
        process.stderr.write(
          `[failover ${Math.round((Date.now() - started) / 1000)}s] sent ${sent} confirmed ${confirmed.size} failed ${failed.length} processed ${processed.size} last failure: ${failed.at(-1) ?? "-"}\n`,
        );
      }, 10_000);

      // The first node holds every client connection and (declared from there) the leaders.
      await eventually(() => confirmed.size >= TOTAL / 4, 120_000, "a quarter confirmed");
      const killedAt = { confirmed: confirmed.size, processed: processed.size };
      const t0 = Date.now();
      await cluster.nodes[0]!.kill();
      await Promise.all(producers);
      const produceMs = Date.now() - t0;
      await eventually(
        () => [...confirmed].every((i) => processed.has(i)),
        180_000,
        "every confirmed message processed",
      ).catch(() => {});
      await sleep(500);
      const lost = [...confirmed].filter((i) => !processed.has(i));
      // The queue's paused flag (declared while the killed node held every connection) can
      // still be written and read: with quorum queues it is replicated like the queue.
      await producer.pauseQueue(queue);
      const pausedAfterKill = await producer.pausedQueues();
      await producer.resumeQueue(queue);
      clearInterval(progress);
      await worker.stop({ timeout: 10_000 });
      await consuming.close();
      await producer.close();

      const figures = {
        sent,
        confirmed: confirmed.size,
        failedSends: failed.length,
        processed: processed.size,
        runs,
        duplicates: runs - processed.size,
        lost: lost.length,
        killedAfterConfirmed: killedAt.confirmed,
        killedAfterProcessed: killedAt.processed,
        msFromKillToLastSend: produceMs,
      };
      console.log(`quorum failover figures: ${JSON.stringify(figures)}`);
      if (failed.length > 0) console.log(`first failed sends: ${failed.slice(0, 3).join(" | ")}`);
      expect(lost).toEqual([]);
      expect(pausedAfterKill).toEqual([queue]);
      expect(sent).toBe(TOTAL);
      // Every send either confirmed or told its caller it failed: none vanished silently.
      expect(confirmed.size + failed.length).toBe(TOTAL);
    });
  });
}
