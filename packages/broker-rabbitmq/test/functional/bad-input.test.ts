import type { Message as TaskqMessage } from "@taskq/core";
import { actor, Message, QueueNotFound, Worker } from "@taskq/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, eventually, makeBroker, putRaw, uniqueQueue } from "../helpers/index.js";

const cleanups: (() => Promise<unknown>)[] = [];
let logs: ReturnType<typeof captureLogs>;

beforeEach(() => {
  logs = captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function broker(): RabbitmqBroker {
  const b = makeBroker({ confirmDelivery: true });
  cleanups.push(async () => {
    await b.flushAll();
    await b.close();
  });
  return b;
}

async function running(b: RabbitmqBroker): Promise<Worker> {
  const w = new Worker(b, { workerTimeout: 100 });
  cleanups.push(() => w.stop({ timeout: 5000 }));
  await w.start();
  return w;
}

/** The bodies now in `<queue>.XQ`, read without taking them away. */
async function deadBodies(b: RabbitmqBroker, queue: string): Promise<string[]> {
  return (await b.getDeadLetters(queue)).map((d) => d.data);
}

describe("bytes that are not a message", () => {
  test("garbage put by another producer is dead-lettered, named by its AMQP messageId in the log, and the worker goes on", async () => {
    const queue = uniqueQueue("garbage");
    const b = broker();
    const ran: string[] = [];
    const job = actor((s: string) => void ran.push(s), {
      broker: b,
      actorName: "job",
      queueName: queue,
    });
    await running(b);
    await putRaw(b, queue, "\u0000\u00ffnot a message{", { messageId: "foreign-42" });
    await job.send("after");
    await eventually(() => ran.includes("after"), 10_000, "the good message ran");
    await eventually(
      async () => (await deadBodies(b, queue)).includes("\u0000\u00ffnot a message{"),
      10_000,
      "the garbage is in the dead letters, byte for byte",
    );
    const line = logs.find((l) => l.msg.startsWith("Undecodable message"));
    expect(line?.level).toBe("error");
    expect(line?.msg).toContain('"foreign-42"');
    expect(line?.msg).toContain(`on queue ${queue}`);
    expect(line?.msg).toContain("dead letters");
  });

  test("garbage without a messageId is named by its delivery tag", async () => {
    const queue = uniqueQueue("garbage");
    const b = broker();
    actor(() => undefined, { broker: b, actorName: "job", queueName: queue });
    await running(b);
    await putRaw(b, queue, '{"queue_name": 5}');
    await eventually(
      async () => (await deadBodies(b, queue)).length === 1,
      10_000,
      "the bad body is dead-lettered",
    );
    const line = logs.find((l) => l.msg.startsWith("Undecodable message"));
    expect(line?.msg).toMatch(new RegExp(`with delivery tag \\d+ on queue ${queue};`));
  });
});

describe("a message naming a queue this broker never declared", () => {
  test("its retry fails at once with QueueNotFound, and no such queue is created on RabbitMQ", async () => {
    const queue = uniqueQueue("home");
    const nowhere = uniqueQueue("nowhere");
    const b = broker();
    let ranAt = 0;
    actor(
      () => {
        ranAt = Date.now();
        throw new Error("fails, so Retries enqueues a retry");
      },
      { broker: b, actorName: "job", queueName: queue, maxRetries: 3, minBackoff: 10 },
    );
    // Observe what the broker answers Retries, whatever core then does with the message.
    const refused: { err: unknown; at: number }[] = [];
    const enqueue = b.enqueue.bind(b);
    b.enqueue = async <R>(message: TaskqMessage<R>, options?: { delay?: number }) => {
      try {
        return await enqueue(message, options);
      } catch (err) {
        refused.push({ err, at: Date.now() });
        throw err;
      }
    };
    await running(b);
    const stray = new Message({ queueName: nowhere, actorName: "job", args: [] });
    await putRaw(b, queue, stray.encode());

    await eventually(() => refused.length > 0, 10_000, "the retry was refused");
    const [{ err, at }] = refused as [{ err: unknown; at: number }];
    expect(err).toBeInstanceOf(QueueNotFound);
    expect((err as Error).message).toContain(nowhere);
    // Refused on the spot: no connection or confirm timeout was waited for.
    expect(at - ranAt).toBeLessThan(1000);
    const model = await b.connection.get();
    const ch = await model.createChannel();
    ch.on("error", () => {});
    await expect(ch.checkQueue(nowhere)).rejects.toThrow(/404|NOT_FOUND/);
  });
});
