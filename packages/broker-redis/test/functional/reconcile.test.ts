import { actor } from "@taskq/core";
import { Redis } from "ioredis";
import { afterEach, expect, inject, test } from "vitest";
import { captureLogs, eventually, makeBroker } from "../helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

test("after a reconnect, a message whose fetch reply was lost with the connection is given back and fetched again", async () => {
  const logs = captureLogs();
  const broker = makeBroker();
  const raw = new Redis(inject("redisUrl"));
  cleanups.push(async () => {
    await broker.flushAll();
    await broker.close();
    raw.disconnect();
  });
  const noop = actor(() => undefined, { broker, actorName: "noop" });
  const consumer = broker.consume("default", { prefetch: 10, timeout: 200 });
  cleanups.push(() => consumer.close());
  // One fetch round trip, so the connection and the consumer's keys exist.
  expect(await consumer.fetch(10, { timeout: 100 })).toEqual([]);

  // What a fetch whose reply never arrived leaves behind: the id moved from the queue to
  // this broker's acks set, and no consumer that knows it holds it.
  const sent = await noop.send();
  const redisId = String(sent.options.redis_message_id);
  await raw.lrem(broker.keys.queue("default"), 0, redisId);
  await raw.sadd(broker.keys.acks("default"), redisId);

  // The connection drops and comes back.
  const clientId = await broker.client.client("ID");
  await raw.client("KILL", "ID", String(clientId));

  let fetched: string[] = [];
  await eventually(
    async () => {
      // A fetch in flight when the connection dropped fails (ConnectionClosed): try again.
      const got = await consumer.fetch(10, { timeout: 200 }).catch(() => []);
      fetched = got.map((m) => m.messageId);
      return fetched.length > 0;
    },
    15_000,
    "the lost message to be fetched again",
  );
  expect(fetched).toEqual([sent.messageId]);
  expect(logs.some((l) => l.msg.includes("whose fetch reply was lost with the connection"))).toBe(
    true,
  );
});
