import { actor, ConnectionFailed, Message, Worker } from "@taskq/core";
import type { Channel } from "amqplib";
import { afterEach, beforeEach, describe, expect, inject, test } from "vitest";
import { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, eventually, makeBroker, sleep, uniqueQueue } from "../helpers/index.js";

const cleanups: (() => Promise<unknown>)[] = [];
let logs: ReturnType<typeof captureLogs>;

beforeEach(() => {
  logs = captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function broker(options: ConstructorParameters<typeof RabbitmqBroker>[0] = {}): RabbitmqBroker {
  const b = makeBroker({ confirmDelivery: true, ...options });
  cleanups.push(async () => {
    await b.flushAll();
    await b.close();
  });
  return b;
}

async function worker(
  b: RabbitmqBroker,
  options: ConstructorParameters<typeof Worker>[1] = {},
): Promise<Worker> {
  const w = new Worker(b, { workerTimeout: 100, ...options });
  cleanups.push(() => w.stop({ timeout: 5000 }));
  await w.start();
  return w;
}

/** A raw amqplib channel on the test server, for doing what another client would. */
async function rawChannel(b: RabbitmqBroker): Promise<Channel> {
  const model = await b.connection.get();
  const ch = await model.createChannel();
  cleanups.push(() => ch.close());
  return ch;
}

describe("RabbitmqBroker", () => {
  test("brokerPriority 0..9 with maxPriority 10, consumed after all are queued, come out 9..0", async () => {
    const queue = uniqueQueue("prio");
    const b = broker({ maxPriority: 10 });
    const order: number[] = [];
    const job = actor((p: number) => void order.push(p), {
      broker: b,
      actorName: "job",
      queueName: queue,
    });
    for (let p = 0; p < 10; p++) await job.sendWithOptions({ args: [p], brokerPriority: p });
    await worker(b, { concurrency: 1, prefetch: 1 });
    await eventually(() => order.length === 10, 10_000, "all ten processed");
    expect(order).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  test("an undecodable body and a message for an unknown actor end up in <q>.XQ", async () => {
    const queue = uniqueQueue("bad");
    const b = broker();
    const ok: string[] = [];
    const known = actor((s: string) => void ok.push(s), {
      broker: b,
      actorName: "known",
      queueName: queue,
    });
    await worker(b);
    // Declared before the raw publish: a message for a queue that does not exist yet is dropped.
    await b.getQueueMessageCounts(queue);
    const ch = await rawChannel(b);
    ch.sendToQueue(queue, Buffer.from("not json at all"), { persistent: true });
    await b.enqueue(new Message({ queueName: queue, actorName: "ghost", args: [1] }));
    await known.send("after");
    await eventually(() => ok.length === 1, 10_000, "the good message ran");
    await eventually(
      async () => (await ch.checkQueue(`${queue}.XQ`)).messageCount === 2,
      10_000,
      "two dead letters",
    );
    const bodies: string[] = [];
    for (let i = 0; i < 2; i++) {
      const got = await ch.get(`${queue}.XQ`, { noAck: true });
      if (got) bodies.push(got.content.toString());
    }
    expect(bodies).toContain("not json at all");
    expect(bodies.some((body) => body.includes('"actor_name":"ghost"'))).toBe(true);
  });

  test("a queue deleted behind our back is declared again on enqueue and on consume", async () => {
    const queue = uniqueQueue("gone");
    const b = broker();
    const seen: number[] = [];
    const job = actor((n: number) => void seen.push(n), {
      broker: b,
      actorName: "job",
      queueName: queue,
    });
    await job.send(1);
    const ch = await rawChannel(b);
    // Deleted while nothing consumes it: the next send finds it gone.
    await ch.deleteQueue(queue);
    await job.send(2);
    expect((await ch.checkQueue(queue)).messageCount).toBe(1);
    await worker(b);
    await eventually(() => seen.includes(2), 10_000, "the message sent after the delete ran");
    // Deleted while consumed: the consumer is cancelled, declares it again, and consumes on.
    await ch.deleteQueue(queue);
    await sleep(200);
    await job.send(3);
    await eventually(
      () => seen.includes(3),
      15_000,
      "the message sent after the second delete ran",
    );
    expect(logs.some((l) => l.msg.includes("cancelled the consumer"))).toBe(true);
  });

  test("a message published exactly as Dramatiq publishes it is processed, and Dramatiq's queues are accepted as they are", async () => {
    const queue = uniqueQueue("dramatiq");
    const b = broker({ maxPriority: 10 });
    const ch = await rawChannel(b);
    // What dramatiq.brokers.rabbitmq declares (pika encodes integers as signed 32-bit).
    const dlx = (name: string) => ({
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": `${name}.XQ`,
      "x-max-priority": { "!": "int", value: 10 },
    });
    await ch.assertQueue(queue, { durable: true, arguments: dlx(queue) });
    await ch.assertQueue(`${queue}.DQ`, { durable: true, arguments: dlx(queue) });
    await ch.assertQueue(`${queue}.XQ`, {
      durable: true,
      arguments: { "x-message-ttl": { "!": "int", value: 604_800_000 } },
    });
    const body =
      `{"queue_name":"${queue}","actor_name":"count_words","args":["https://example.com"],"kwargs":{"lang":"en"},` +
      '"options":{},"message_id":"0b7c6e2a-1111-4222-8333-444455556666","message_timestamp":1700000000000}';
    ch.sendToQueue(queue, Buffer.from(body), { deliveryMode: 2, priority: 3 });
    const got: unknown[][] = [];
    actor((...args: unknown[]) => void got.push(args), {
      broker: b,
      actorName: "count_words",
      queueName: queue,
    });
    await worker(b);
    await eventually(() => got.length === 1, 10_000, "the Dramatiq message ran");
    expect(got[0]).toEqual(["https://example.com", { lang: "en" }]);
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
  });

  test("messages go out persistent, with their priority, in Dramatiq's body format", async () => {
    const queue = uniqueQueue("wire");
    const b = broker({ maxPriority: 5 });
    const job = actor((_x: string) => undefined, { broker: b, actorName: "job", queueName: queue });
    const sent = await job.sendWithOptions({ args: ["x"], brokerPriority: 4 });
    const ch = await rawChannel(b);
    const got = await ch.get(queue, { noAck: true });
    expect(got).not.toBe(false);
    if (got === false) return;
    expect(got.properties.deliveryMode).toBe(2);
    expect(got.properties.priority).toBe(4);
    expect(JSON.parse(got.content.toString())).toEqual(sent.asDict());
    expect(Object.keys(JSON.parse(got.content.toString()))[0]).toBe("queue_name");
  });

  test("without confirmDelivery, send resolves once written and the message arrives", async () => {
    const queue = uniqueQueue("fast");
    const b = broker({ confirmDelivery: false });
    const seen: number[] = [];
    const job = actor((n: number) => void seen.push(n), {
      broker: b,
      actorName: "job",
      queueName: queue,
    });
    for (let i = 0; i < 50; i++) await job.send(i);
    await worker(b);
    await eventually(() => seen.length === 50, 10_000, "all fifty");
  });

  test("an unreachable server is a clear ConnectionFailed naming it", async () => {
    const b = new RabbitmqBroker({
      url: "amqp://guest:secret@127.0.0.1:1",
      connectionTimeout: 500,
    });
    cleanups.push(() => b.close());
    const a = actor(() => undefined, { broker: b, actorName: "a" });
    const error = await a.send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toMatch(/RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1/);
    expect((error as Error).message).not.toContain("secret");
  });

  test("options are checked", () => {
    expect(() => new RabbitmqBroker({ url: inject("amqpUrl"), maxPriority: 300 })).toThrow(
      /maxPriority must be an integer from 1 to 255/,
    );
    expect(() => new RabbitmqBroker({ url: "redis://x" })).toThrow(/amqp:\/\//);
  });
});
