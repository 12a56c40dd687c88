import type { Channel } from "amqplib";
import { describe, expect, test } from "vitest";
import { AckBatcher } from "../../src/ack-batcher.js";

/** Records the acks the batcher sends, as a channel would receive them. */
function recorder(): { channel: Channel; sent: [number, boolean][] } {
  const sent: [number, boolean][] = [];
  const channel = {
    ack: (message: { fields: { deliveryTag: number } }, multiple: boolean) => {
      sent.push([message.fields.deliveryTag, multiple]);
    },
  } as unknown as Channel;
  return { channel, sent };
}

describe("AckBatcher", () => {
  test("acks done in order go out as one multiple ack", () => {
    const { channel, sent } = recorder();
    const acks = new AckBatcher(channel);
    for (let tag = 1; tag <= 5; tag++) acks.delivered(tag);
    for (const tag of [2, 1, 4, 3, 5]) acks.ack(tag);
    acks.flush();
    expect(sent).toEqual([[5, true]]);
  });

  test("an ack behind a delivery still running goes out alone, and is not acked again later", () => {
    const { channel, sent } = recorder();
    const acks = new AckBatcher(channel);
    for (let tag = 1; tag <= 4; tag++) acks.delivered(tag);
    acks.ack(1);
    acks.ack(3);
    acks.flush();
    expect(sent).toEqual([
      [1, true],
      [3, false],
    ]);
    acks.ack(2);
    acks.ack(4);
    acks.flush();
    // 2 and 4 need acking; 3 was already acked alone and is skipped over.
    expect(sent.slice(2)).toEqual([[4, true]]);
  });

  test("nacked and requeued deliveries are skipped over by the multiple ack", () => {
    const { channel, sent } = recorder();
    const acks = new AckBatcher(channel);
    for (let tag = 1; tag <= 3; tag++) acks.delivered(tag);
    acks.settledAlone(2);
    acks.ack(1);
    acks.ack(3);
    acks.flush();
    expect(sent).toEqual([[3, true]]);
  });

  test("nothing pending sends nothing", () => {
    const { channel, sent } = recorder();
    const acks = new AckBatcher(channel);
    acks.delivered(1);
    acks.flush();
    expect(sent).toEqual([]);
  });

  test("acks on a channel that closed meanwhile are dropped, not thrown out of the timer", async () => {
    let calls = 0;
    const closed = {
      ack: () => {
        calls++;
        // What amqplib throws for an ack on a closed channel.
        throw new Error("Channel closed");
      },
    } as unknown as Channel;
    const acks = new AckBatcher(closed);
    acks.delivered(1);
    acks.delivered(2);
    acks.delivered(3);
    acks.ack(1);
    acks.ack(3);
    expect(() => acks.flush()).not.toThrow();
    expect(calls).toBe(1);
    acks.ack(2);
    // The scheduled flush runs in setImmediate, where a throw would kill the process.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(2);
  });
});
