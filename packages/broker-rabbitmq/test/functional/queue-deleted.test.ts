import { actor, Message, Worker } from "@taskq/core";
import type { ChannelModel } from "amqplib";
import { connect } from "amqplib";
import { afterEach, beforeEach, inject, test } from "vitest";
import type { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, eventually, makeBroker, putRaw, uniqueQueue } from "../helpers/index.js";

const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(() => {
  captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

/** Another client on the same node: what an operator's tool or a second app would do. */
async function otherClient(): Promise<ChannelModel> {
  const model = await connect(inject("amqpUrl"));
  cleanups.push(() => model.close());
  return model;
}

/** Whether the queue exists (a passive declare of a missing queue closes its channel). */
async function exists(model: ChannelModel, queue: string): Promise<boolean> {
  const ch = await model.createChannel();
  ch.on("error", () => {});
  try {
    await ch.checkQueue(queue);
    await ch.close();
    return true;
  } catch {
    return false;
  }
}

async function running(b: RabbitmqBroker): Promise<Worker> {
  const w = new Worker(b, { workerTimeout: 100 });
  cleanups.push(() => w.stop({ timeout: 5000 }));
  await w.start();
  return w;
}

test("a worker whose queues are deleted under it declares them again and consumes on, with no send from this process", async () => {
  const queue = uniqueQueue("deleted");
  const b = makeBroker({ confirmDelivery: true });
  cleanups.push(async () => {
    await b.flushAll();
    await b.close();
  });
  const seen: number[] = [];
  const job = actor((n: number) => void seen.push(n), {
    broker: b,
    actorName: "job",
    queueName: queue,
  });
  await running(b);
  await job.send(1);
  await eventually(() => seen.includes(1), 10_000, "the first message ran");

  const other = await otherClient();
  const admin = await other.createChannel();
  for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) await admin.deleteQueue(name);

  // Nothing is sent through the broker (a send would declare the queue itself): the worker
  // alone must bring all three back.
  await eventually(
    async () =>
      (await exists(other, queue)) &&
      (await exists(other, `${queue}.DQ`)) &&
      (await exists(other, `${queue}.XQ`)),
    10_000,
    "the worker declared the queues again",
  );
  const message = new Message({ queueName: queue, actorName: "job", args: [2] });
  await putRaw(b, queue, message.encode(), { declare: false });
  await eventually(() => seen.includes(2), 10_000, "the message put after the delete ran");
});

test("a worker started after its queues were deleted declares them again itself (the broker had declared them before)", async () => {
  const queue = uniqueQueue("predeleted");
  const b = makeBroker({ confirmDelivery: true });
  cleanups.push(async () => {
    await b.flushAll();
    await b.close();
  });
  const seen: number[] = [];
  const job = actor((n: number) => void seen.push(n), {
    broker: b,
    actorName: "job",
    queueName: queue,
  });
  // The send declares the queues on this connection; then another client deletes them.
  await job.send(1);
  const other = await otherClient();
  const admin = await other.createChannel();
  for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) await admin.deleteQueue(name);

  await running(b);
  await eventually(
    async () =>
      (await exists(other, queue)) &&
      (await exists(other, `${queue}.DQ`)) &&
      (await exists(other, `${queue}.XQ`)),
    10_000,
    "the worker declared the queues again",
  );
  const message = new Message({ queueName: queue, actorName: "job", args: [2] });
  await putRaw(b, queue, message.encode(), { declare: false });
  await eventually(() => seen.includes(2), 10_000, "the message put after the delete ran");
});
