import { randomUUID } from "node:crypto";
import { connect } from "amqplib";
import { afterEach, describe, expect, inject, test } from "vitest";
import { AckBatcher } from "../../src/ack-batcher.js";

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

describe("AckBatcher", () => {
  test("acks pending when their channel closes are dropped without throwing, and the server delivers the message again", async () => {
    const model = await connect(inject("amqpUrl"));
    cleanups.push(() => model.close());
    const queue = `ack-batcher-${randomUUID()}`;
    const ch = await model.createChannel();
    await ch.assertQueue(queue, { durable: false });
    cleanups.push(async () => {
      const admin = await model.createChannel();
      await admin.deleteQueue(queue);
      await admin.close();
    });
    ch.sendToQueue(queue, Buffer.from("x"));
    let got = await ch.get(queue);
    for (let i = 0; got === false && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      got = await ch.get(queue);
    }
    expect(got).not.toBe(false);
    if (got === false) return;
    const batcher = new AckBatcher(ch);
    batcher.delivered(got.fields.deliveryTag);
    batcher.ack(got.fields.deliveryTag);
    await ch.close();
    // What the batcher's setImmediate runs: a throw there would end the worker process.
    expect(() => batcher.flush()).not.toThrow();
    // Not acked: the server has put it back.
    const again = await model.createChannel();
    let back = await again.get(queue);
    for (let i = 0; back === false && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      back = await again.get(queue);
    }
    expect(back).not.toBe(false);
    expect(back === false ? undefined : back.content.toString()).toBe("x");
    await again.close();
  });
});
