import { afterEach, describe, expect, test } from "vitest";
import { actor } from "../actor.js";
import type { Broker } from "../broker.js";
import type { Consumer } from "../consumer.js";
import { QueueJoinTimeout } from "../errors.js";
import { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import { Worker } from "../worker/worker.js";
import { gate, sleep, waitUntil } from "./wait.js";

const eventually = (check: () => boolean | Promise<boolean>, what: string) =>
  waitUntil(check, { what });

/** Makes a fresh broker for one test of a conformance suite. */
export type MakeBroker = () => Broker | Promise<Broker>;

/** Options of `brokerConformance`. */
export interface BrokerConformanceOptions {
  /** Suite title. Default "broker conformance". */
  name?: string;
  /** Per-test timeout, ms. Default 30 000. */
  timeout?: number;
  /** Release a broker after a test. Default: flushAll, then close. */
  destroy?: (broker: Broker) => Promise<void>;
  /**
   * Put raw bytes on a queue, as a foreign producer would. When given, the suite checks
   * that undecodable messages are dead-lettered and the worker goes on.
   */
  enqueueRaw?: (broker: Broker, queueName: string, data: Uint8Array) => Promise<void>;
}

const QUEUE = "conformance";

/** The counts every broker reports (some add more, such as inProgress). */
async function counts(broker: Broker): Promise<{ ready: number; delayed: number; dead: number }> {
  const { ready, delayed, dead } = await broker.getQueueMessageCounts(QUEUE);
  return { ready, delayed, dead };
}

/**
 * The behaviours every broker must have, checked through the public Broker, Consumer and
 * Worker APIs. `makeBroker` must return a fresh broker whose queues start empty (for a
 * server-backed broker, a new namespace or a flushed database per call).
 */
export function brokerConformance(
  makeBroker: MakeBroker,
  options: BrokerConformanceOptions = {},
): void {
  const timeout = options.timeout ?? 30_000;
  const destroy =
    options.destroy ??
    (async (b: Broker) => {
      await b.flushAll();
      await b.close();
    });

  describe(options.name ?? "broker conformance", () => {
    const cleanups: (() => Promise<void>)[] = [];

    afterEach(async () => {
      while (cleanups.length > 0) await cleanups.pop()!();
    });

    async function setup(): Promise<Broker> {
      const broker = await makeBroker();
      cleanups.push(() => destroy(broker));
      return broker;
    }

    function startWorker(
      broker: Broker,
      opts: ConstructorParameters<typeof Worker>[1] = {},
    ): Promise<Worker> {
      const worker = new Worker(broker, { workerTimeout: 100, ...opts });
      cleanups.push(() => worker.stop({ timeout: 5000 }));
      return worker.start().then(() => worker);
    }

    function openConsumer(broker: Broker, queue: string, prefetch: number): Consumer {
      const consumer = broker.consume(queue, { prefetch, timeout: 100 });
      cleanups.push(() => consumer.close());
      return consumer;
    }

    /** Fetch until `count` messages came, failing after `wait` ms. */
    async function take(consumer: Consumer, count: number, wait = 5000): Promise<MessageProxy[]> {
      const got: MessageProxy[] = [];
      const deadline = Date.now() + wait;
      while (got.length < count) {
        if (Date.now() > deadline) {
          throw new Error(
            `fetched ${got.length} of ${count} messages from ${consumer.queueName} in ${wait} ms`,
          );
        }
        got.push(...(await consumer.fetch(count - got.length, { timeout: 200 })));
      }
      return got;
    }

    test("enqueued messages are consumed with their fields intact, and acked ones are gone", {
      timeout,
    }, async () => {
      const broker = await setup();
      const echo = actor((_x: unknown) => undefined, {
        broker,
        actorName: "echo",
        queueName: QUEUE,
      });
      const args = [{ text: "héllo wörld ✓", n: 42, list: [1, null, true] }];
      const sent = await Promise.all([echo.send(args[0]), echo.send(2), echo.send("three")]);

      const consumer = openConsumer(broker, QUEUE, 10);
      const got = await take(consumer, 3);
      const byId = new Map(got.map((p) => [p.messageId, p]));
      for (const m of sent) {
        const p = byId.get(m.messageId);
        expect(p, `message ${m.messageId} was consumed`).toBeDefined();
        expect(p!.queueName).toBe(QUEUE);
        expect(p!.actorName).toBe("echo");
        expect(p!.args).toEqual(m.args);
        expect(p!.kwargs).toEqual({});
        expect(p!.messageTimestamp).toBe(m.messageTimestamp);
      }
      for (const p of got) await consumer.ack(p);
      expect(await consumer.fetch(10, { timeout: 200 })).toEqual([]);
      expect(await counts(broker)).toEqual({ ready: 0, delayed: 0, dead: 0 });
    });

    test("a worker processes every message sent, including a batch from enqueueMany", {
      timeout,
    }, async () => {
      const broker = await setup();
      const seen: number[] = [];
      const record = actor((n: number) => void seen.push(n), {
        broker,
        actorName: "record",
        queueName: QUEUE,
      });
      await startWorker(broker);
      await record.send(-1);
      await broker.enqueueMany(Array.from({ length: 50 }, (_, i) => record.message(i)));
      await broker.join(QUEUE, { timeout: 10_000 });
      expect(seen.sort((a, b) => a - b)).toEqual([-1, ...Array.from({ length: 50 }, (_, i) => i)]);
    });

    test("a delayed message waits on the delay queue and runs after its delay", {
      timeout,
    }, async () => {
      const broker = await setup();
      const ran: number[] = [];
      const tick = actor(() => void ran.push(Date.now()), {
        broker,
        actorName: "tick",
        queueName: QUEUE,
      });
      const sentAt = Date.now();
      const message = await tick.sendWithOptions({ delay: 400 });
      expect(message.queueName).toBe(`${QUEUE}.DQ`);
      expect(typeof message.options.eta).toBe("number");
      expect((await broker.getQueueMessageCounts(QUEUE)).delayed).toBe(1);
      await startWorker(broker);
      await eventually(() => ran.length === 1, "the delayed message ran");
      expect(ran[0]! - sentAt).toBeGreaterThanOrEqual(350);
    });

    // The gap between the delays is wide so that a slow machine, taking a while between the
    // two sends, cannot make the second message due after the first.
    test("messages delayed 2000 and 500 ms run in the order [500, 2000]", {
      timeout,
    }, async () => {
      const broker = await setup();
      const order: number[] = [];
      const note = actor((d: number) => void order.push(d), {
        broker,
        actorName: "note",
        queueName: QUEUE,
      });
      await startWorker(broker);
      await note.sendWithOptions({ args: [2000], delay: 2000 });
      await note.sendWithOptions({ args: [500], delay: 500 });
      await eventually(() => order.length === 2, "both delayed messages ran");
      expect(order).toEqual([500, 2000]);
    });

    test("nack moves a message to the dead letters", { timeout }, async () => {
      const broker = await setup();
      const doomed = actor(() => undefined, { broker, actorName: "doomed", queueName: QUEUE });
      await doomed.send();
      const consumer = openConsumer(broker, QUEUE, 1);
      const [got] = await take(consumer, 1);
      await consumer.nack(got!);
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).dead === 1,
        "the message is dead",
      );
      expect(await counts(broker)).toEqual({ ready: 0, delayed: 0, dead: 1 });
      await consumer.close();
      const after = openConsumer(broker, QUEUE, 1);
      expect(await after.fetch(1, { timeout: 300 })).toEqual([]);
    });

    test("an actor that keeps failing is dead-lettered once its retries are spent", {
      timeout,
    }, async () => {
      const broker = await setup();
      let attempts = 0;
      actor(
        () => {
          attempts++;
          throw new Error("always fails");
        },
        {
          broker,
          actorName: "fails",
          queueName: QUEUE,
          maxRetries: 2,
          minBackoff: 10,
          maxBackoff: 20,
        },
      );
      await startWorker(broker);
      await broker.enqueue(new Message({ queueName: QUEUE, actorName: "fails", args: [] }));
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).dead === 1,
        "the message is dead",
      );
      expect(attempts).toBe(3);
    });

    test("requeue gives a fetched message back to its queue", { timeout }, async () => {
      const broker = await setup();
      const a = actor(() => undefined, { broker, actorName: "a", queueName: QUEUE });
      const sent = await a.send();
      const consumer = openConsumer(broker, QUEUE, 1);
      await consumer.requeue(await take(consumer, 1));
      const again = await take(consumer, 1);
      expect(again.map((p) => p.messageId)).toEqual([sent.messageId]);
      await consumer.ack(again[0]!);
    });

    test("unacked messages are delivered again once their consumer closes", {
      timeout,
    }, async () => {
      const broker = await setup();
      const a = actor((_n: number) => undefined, { broker, actorName: "a", queueName: QUEUE });
      await a.send(1);
      await a.send(2);
      const first = openConsumer(broker, QUEUE, 2);
      const got = await take(first, 2);
      await first.ack(got[0]!);
      await first.close();
      const redelivered = await take(openConsumer(broker, QUEUE, 1), 1);
      expect(redelivered.map((p) => p.messageId)).toEqual([got[1]!.messageId]);
    });

    test("flush drops ready, delayed and dead messages", { timeout }, async () => {
      const broker = await setup();
      const a = actor(() => undefined, { broker, actorName: "a", queueName: QUEUE });
      await a.send();
      await a.send();
      await a.sendWithOptions({ delay: 60_000 });
      const consumer = openConsumer(broker, QUEUE, 1);
      const [got] = await take(consumer, 1);
      await consumer.nack(got!);
      // A push broker may already hold the next message for this consumer: give it back.
      await consumer.close();
      await eventually(
        async () =>
          JSON.stringify(await counts(broker)) ===
          JSON.stringify({ ready: 1, delayed: 1, dead: 1 }),
        "one message ready, one delayed and one dead",
      );
      await broker.flush(QUEUE);
      expect(await counts(broker)).toEqual({ ready: 0, delayed: 0, dead: 0 });
    });

    test("dead letters can be listed, put back on their queue, and purged", {
      timeout,
    }, async () => {
      const broker = await setup();
      const a = actor((_n: number) => undefined, { broker, actorName: "a", queueName: QUEUE });
      const sent = [await a.send(1), await a.send(2)];
      const consumer = openConsumer(broker, QUEUE, 2);
      for (const p of await take(consumer, 2)) await consumer.nack(p);
      await consumer.close();
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).dead === 2,
        "two dead letters",
      );
      const listed = await broker.getDeadLetters(QUEUE);
      expect(listed.map((d) => d.message?.messageId).sort()).toEqual(
        sent.map((m) => m.messageId).sort(),
      );
      expect(await broker.requeueDeadLetters(QUEUE)).toBe(2);
      await eventually(async () => {
        const counts = await broker.getQueueMessageCounts(QUEUE);
        return counts.dead === 0 && counts.ready === 2;
      }, "both back on the queue");
      const again = openConsumer(broker, QUEUE, 1);
      const [one] = await take(again, 1);
      await again.nack(one!);
      await again.close();
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).dead === 1,
        "one dead letter",
      );
      expect(await broker.purgeDeadLetters(QUEUE)).toBe(1);
      expect((await broker.getQueueMessageCounts(QUEUE)).dead).toBe(0);
    });

    test("dead letters are picked by message id: requeued ones keep their id, unknown ids pass", {
      timeout,
    }, async () => {
      const broker = await setup();
      const a = actor((_n: number) => undefined, { broker, actorName: "a", queueName: QUEUE });
      const sent = [await a.send(1), await a.send(2), await a.send(3)];
      const consumer = openConsumer(broker, QUEUE, 3);
      // One at a time, so each dies after the one before it.
      for (let i = 0; i < 3; i++) {
        const [p] = await take(consumer, 1);
        await consumer.nack(p!);
        await eventually(
          async () => (await broker.getQueueMessageCounts(QUEUE)).dead === i + 1,
          `${i + 1} dead letters`,
        );
      }
      await consumer.close();
      const page = await broker.getDeadLetters(QUEUE, { offset: 1, limit: 1 });
      expect(page).toHaveLength(1);
      const all = await broker.getDeadLetters(QUEUE, { limit: 10 });
      expect(all).toHaveLength(3);
      expect(page[0]!.message?.messageId).toBe(all[1]!.message?.messageId);
      const [first, second, third] = sent.map((m) => m.messageId);
      expect(await broker.requeueDeadLetters(QUEUE, { ids: [second!, "no-such-id"] })).toBe(1);
      await eventually(async () => {
        const c = await broker.getQueueMessageCounts(QUEUE);
        return c.dead === 2 && c.ready === 1;
      }, "the chosen one back on its queue");
      const again = openConsumer(broker, QUEUE, 1);
      const [back] = await take(again, 1);
      expect(back!.messageId).toBe(second);
      expect(back!.queueName).toBe(QUEUE);
      await again.ack(back!);
      await again.close();
      expect(await broker.purgeDeadLetters(QUEUE, { ids: [first!] })).toBe(1);
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).dead === 1,
        "one dead letter left",
      );
      const left = await broker.getDeadLetters(QUEUE);
      expect(left.map((d) => d.message?.messageId)).toEqual([third]);
      expect(await broker.purgeDeadLetters(QUEUE, { ids: [] })).toBe(0);
      await expect(broker.requeueDeadLetters(QUEUE, { ids: "x" as never })).rejects.toThrow(
        /ids must be an array/,
      );
    });

    test("join resolves only once every message has been processed", { timeout }, async () => {
      const broker = await setup();
      let done = 0;
      const slow = actor(
        async () => {
          await sleep(50);
          done++;
        },
        { broker, actorName: "slow", queueName: QUEUE },
      );
      await startWorker(broker, { concurrency: 2 });
      for (let i = 0; i < 6; i++) await slow.send();
      await broker.join(QUEUE, { timeout: 10_000 });
      expect(done).toBe(6);
    });

    test("join gives up with QueueJoinTimeout", { timeout }, async () => {
      const broker = await setup();
      const a = actor(() => undefined, { broker, actorName: "a", queueName: QUEUE });
      await a.send();
      await expect(broker.join(QUEUE, { timeout: 300 })).rejects.toBeInstanceOf(QueueJoinTimeout);
    });

    test("among prefetched messages, the lower priority number runs first", {
      timeout,
    }, async () => {
      const broker = await setup();
      const order: string[] = [];
      const hold = gate();
      let blocking = false;
      const blocker = actor(
        async () => {
          blocking = true;
          await hold.promise;
        },
        { broker, actorName: "blocker", queueName: QUEUE },
      );
      const lo = actor(() => void order.push("lo"), {
        broker,
        actorName: "lo",
        queueName: QUEUE,
        priority: 10,
      });
      const hi = actor(() => void order.push("hi"), {
        broker,
        actorName: "hi",
        queueName: QUEUE,
        priority: 0,
      });
      // One slot, held by the blocker while the others are prefetched behind it.
      await startWorker(broker, { concurrency: 1, prefetch: 21 });
      await blocker.send();
      await eventually(() => blocking, "the blocker runs");
      for (let i = 0; i < 10; i++) await lo.send();
      for (let i = 0; i < 10; i++) await hi.send();
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).ready === 0,
        "all 20 are prefetched",
      );
      await sleep(200);
      hold.open();
      await eventually(() => order.length === 20, "all 20 ran");
      expect(order).toEqual([...Array(10).fill("hi"), ...Array(10).fill("lo")]);
    });

    test("a message for an unknown actor is dead-lettered and the worker goes on", {
      timeout,
    }, async () => {
      const broker = await setup();
      const seen: string[] = [];
      const known = actor((s: string) => void seen.push(s), {
        broker,
        actorName: "known",
        queueName: QUEUE,
      });
      await startWorker(broker);
      await broker.enqueue(new Message({ queueName: QUEUE, actorName: "ghost", args: [] }));
      await known.send("after");
      await eventually(() => seen.length === 1, "the known actor ran");
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).dead === 1,
        "the ghost message is dead",
      );
    });

    if (options.enqueueRaw !== undefined) {
      const enqueueRaw = options.enqueueRaw;
      test("undecodable bytes are dead-lettered and the worker goes on", { timeout }, async () => {
        const broker = await setup();
        const seen: string[] = [];
        const known = actor((s: string) => void seen.push(s), {
          broker,
          actorName: "known",
          queueName: QUEUE,
        });
        await startWorker(broker);
        await enqueueRaw(broker, QUEUE, Buffer.from("{not json"));
        await enqueueRaw(broker, QUEUE, Buffer.from('{"queue_name": 3}'));
        await known.send("after");
        await eventually(() => seen.length === 1, "the known actor ran");
        await eventually(
          async () => (await broker.getQueueMessageCounts(QUEUE)).dead === 2,
          "both bad messages are dead",
        );
      });
    }

    test("stop gives unstarted messages back to the broker", { timeout }, async () => {
      const broker = await setup();
      const hold = gate();
      let started = 0;
      const blocking = actor(
        async () => {
          started++;
          await hold.promise;
        },
        { broker, actorName: "blocking", queueName: QUEUE },
      );
      const worker = new Worker(broker, { concurrency: 1, prefetch: 5, workerTimeout: 100 });
      await worker.start();
      for (let i = 0; i < 5; i++) await blocking.send();
      await eventually(() => started === 1, "the first message started");
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).ready === 0,
        "the rest are prefetched",
      );
      const stopping = worker.stop({ timeout: 5000 });
      await sleep(100);
      hold.open();
      await stopping;
      expect(started).toBe(1);
      // Given back, not yet counted everywhere: a RabbitMQ quorum queue counts a requeued
      // delivery a moment after the channel closes.
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).ready === 4,
        "the four unstarted messages back on the queue",
      );
      await startWorker(broker);
      await broker.join(QUEUE, { timeout: 10_000 });
      expect(started).toBe(5);
    });

    test("stop gives delayed messages held in memory back to the delay queue", {
      timeout,
    }, async () => {
      const broker = await setup();
      const a = actor(() => undefined, { broker, actorName: "a", queueName: QUEUE });
      await a.sendWithOptions({ delay: 60_000 });
      const worker = new Worker(broker, { workerTimeout: 100 });
      await worker.start();
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).delayed === 0,
        "the worker holds it",
      );
      await worker.stop({ timeout: 5000 });
      // Given back as the consumer closes; a broker's count may lag a moment behind (RabbitMQ
      // quorum queues count a requeued delivery shortly after the channel closes).
      await eventually(
        async () => (await broker.getQueueMessageCounts(QUEUE)).delayed === 1,
        "the delayed message back on the delay queue",
      );
    });
  });
}
