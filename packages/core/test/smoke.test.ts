import { afterEach, expect, test } from "vitest";
import { StubBroker, Worker, actor } from "../src/index.js";
import { captureLogs } from "./helpers.js";

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.stop();
});

test("a message sent to an actor is processed by a worker", async () => {
  captureLogs();
  const broker = new StubBroker();
  const seen: number[] = [];
  const add = actor((a: number, b: number) => {
    seen.push(a + b);
  }, { broker, actorName: "add" });
  worker = new Worker(broker, { workerTimeout: 50 });
  await worker.start();
  await add.send(1, 2);
  await broker.join("default");
  expect(seen).toEqual([3]);
});
