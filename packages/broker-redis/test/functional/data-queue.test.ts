import { afterEach, expect, test } from "vitest";
import type { RedisBroker } from "../../src/index.js";
import { makeBroker } from "../helpers.js";

const brokers: RedisBroker[] = [];
afterEach(async () => {
  while (brokers.length > 0) await brokers.pop()!.close();
});

function broker(): RedisBroker {
  const b = makeBroker();
  brokers.push(b);
  return b;
}

test("a blocked get does not poll: no script call while it waits", async () => {
  const b = broker();
  const q = b.dataQueue("idle");
  // Count the script calls the wait makes (the real script still runs).
  const client = b.client as unknown as { taskqDataGet: (...a: unknown[]) => unknown };
  const original = client.taskqDataGet;
  const calls: number[] = [];
  const started = Date.now();
  client.taskqDataGet = function (this: unknown, ...a: unknown[]) {
    calls.push(Date.now() - started);
    return original.apply(this, a);
  };
  expect((await q.get(1, { timeout: 1500 })).size).toBe(0);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  // A look at the start and one when the wait ends; none while it waits.
  const during = calls.filter((t) => t > 300 && t < 1300);
  expect(during, `calls at ${calls.join(", ")} ms`).toEqual([]);
});

test("a data queue's keys live under ns:__data__:, apart from task queues of the same name", async () => {
  const b = broker();
  b.declareQueue("jobs");
  await b.dataQueue("jobs").put([1]);
  const keys = await b.client.keys(`${b.namespace}:*`);
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys) expect(key.startsWith(`${b.namespace}:__data__:{jobs}:`)).toBe(true);
});

test("put of more than one script's worth (2,500 items) stores them all in order", async () => {
  const q = broker().dataQueue("big");
  const ids = await q.put(Array.from({ length: 2500 }, (_, i) => i));
  expect(await q.size()).toBe(2500);
  const got = await q.get(5000);
  expect([...got.keys()]).toEqual(ids);
  expect([...got.values()]).toEqual(Array.from({ length: 2500 }, (_, i) => i));
});
