import { actor, Worker } from "@taskq/core";
import type { Channel } from "amqplib";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { RabbitmqBroker, RabbitmqBrokerOptions } from "../../src/index.js";
import {
  captureLogs,
  eventually,
  makeBroker,
  makeQuorumBroker,
  uniqueQueue,
} from "../helpers/index.js";

const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(() => {
  captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function quorum(options: RabbitmqBrokerOptions = {}): RabbitmqBroker {
  const b = makeQuorumBroker(options);
  cleanups.push(() => b.close());
  return b;
}

/** A raw channel, as another client would open: a failed declare closes it, so one per try. */
async function declareFails(
  b: RabbitmqBroker,
  name: string,
  args: Record<string, unknown>,
): Promise<string> {
  const model = await b.connection.get();
  const ch: Channel = await model.createChannel();
  ch.on("error", () => {});
  try {
    await ch.assertQueue(name, { durable: true, arguments: args });
  } catch (err) {
    return (err as Error).message;
  }
  await ch.close();
  return "declared";
}

describe("RabbitmqBroker with queueType quorum", () => {
  test("q, q.DQ and q.XQ are quorum queues: redeclaring them as classic queues is refused", async () => {
    const queue = uniqueQueue("quorum");
    const b = quorum();
    const job = actor(() => {}, { broker: b, actorName: "job", queueName: queue });
    await job.send();
    // Each dead-letters into the base queue's .XQ (Dramatiq's arguments, kept on quorum queues).
    const deadLetter = (name: string) => ({
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": `${name.replace(/\.DQ$/, "")}.XQ`,
    });
    // Same arguments without the type: RabbitMQ compares x-queue-type and says it differs.
    for (const name of [queue, `${queue}.DQ`]) {
      expect(await declareFails(b, name, deadLetter(name))).toMatch(
        /PRECONDITION_FAILED.*inequivalent arg 'x-queue-type'.*received none but current is the value 'quorum'/,
      );
    }
    expect(await declareFails(b, `${queue}.XQ`, { "x-message-ttl": 7 * 24 * 3600 * 1000 })).toMatch(
      /PRECONDITION_FAILED.*inequivalent arg 'x-queue-type'/,
    );
    // And with the type, Dramatiq's dead-letter arguments and TTL are what it carries.
    for (const name of [queue, `${queue}.DQ`]) {
      expect(await declareFails(b, name, { "x-queue-type": "quorum", ...deadLetter(name) })).toBe(
        "declared",
      );
    }
    expect(
      await declareFails(b, `${queue}.XQ`, {
        "x-queue-type": "quorum",
        "x-message-ttl": 7 * 24 * 3600 * 1000,
      }),
    ).toBe("declared");
    await b.flush(queue);
  });

  test("dead letters expire from the quorum q.XQ after deadMessageTtl (x-message-ttl works on 3.10 quorum queues)", async () => {
    const queue = uniqueQueue("quorumttl");
    const b = quorum({ deadMessageTtl: 1000 });
    const fails = actor(
      () => {
        throw new Error("boom");
      },
      { broker: b, actorName: "fails", queueName: queue, maxRetries: 0 },
    );
    await fails.send();
    const w = new Worker(b, { workerTimeout: 100 });
    cleanups.push(() => w.stop({ timeout: 5000 }));
    await w.start();
    await eventually(
      async () => (await b.getDeadLetters(queue)).length === 1,
      15_000,
      "the message dead-lettered",
    );
    await eventually(
      async () => (await b.getDeadLetters(queue)).length === 0,
      15_000,
      "the dead letter expired",
    );
    await b.flush(queue);
  });

  test("switching an existing classic queue to quorum fails the send with RabbitMQ's reason, naming the queue", async () => {
    const queue = uniqueQueue("switch");
    const classic = makeBroker({ confirmDelivery: true });
    cleanups.push(() => classic.close());
    await actor(() => {}, { broker: classic, actorName: "job", queueName: queue }).send();
    const b = makeBroker({ queueType: "quorum", connectionTimeout: 3000 });
    cleanups.push(() => b.close());
    const job = actor(() => {}, { broker: b, actorName: "job", queueName: queue });
    const err = await job.send().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/x-queue-type/);
    expect(err?.message).toContain(queue);
    cleanups.push(() => classic.flush(queue));
  });

  test("confirmDelivery defaults to true on quorum queues; an explicit false is kept", () => {
    expect(quorum().confirmDelivery).toBe(true);
    expect(quorum({ confirmDelivery: false }).confirmDelivery).toBe(false);
    expect(makeBroker().confirmDelivery).toBe(false);
  });
});
