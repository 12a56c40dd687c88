import { actor, Worker } from "@taskq/core";
import { afterEach, expect, test } from "vitest";
import { captureLogs, eventually, makeBroker } from "../helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

test("a dead letter keeps why its message failed (the traceback option), as the worker wrote it", async () => {
  captureLogs();
  const broker = makeBroker();
  actor(
    () => {
      throw new RangeError("the widget is out of range");
    },
    { broker, actorName: "breaks", maxRetries: 0 },
  );
  const worker = new Worker(broker, { concurrency: 1 });
  await worker.start();
  cleanups.push(async () => {
    await worker.stop();
    await broker.flushAll();
    await broker.close();
  });
  const sent = await broker.getActor("breaks").send();
  await eventually(async () => (await broker.getQueueMessageCounts("default")).dead === 1);
  const [dead] = await broker.getDeadLetters("default", { limit: 10 });
  expect(dead?.message?.messageId).toBe(sent.messageId);
  expect(String(dead?.message?.options.traceback)).toMatch(
    /^RangeError: the widget is out of range/,
  );
});
