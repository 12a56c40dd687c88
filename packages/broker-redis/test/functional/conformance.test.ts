import { brokerConformance } from "@taskq/core/testing";
import { beforeAll } from "vitest";
import type { RedisBroker } from "../../src/index.js";
import { captureLogs, makeBroker } from "../helpers.js";

beforeAll(() => {
  captureLogs();
});

brokerConformance(() => makeBroker(), {
  name: "RedisBroker conformance",
  enqueueRaw: async (broker, queue, data) => {
    const b = broker as RedisBroker;
    const id = `raw-${Math.random()}`;
    await b.client
      .pipeline()
      .hset(b.keys.messages(queue), id, Buffer.from(data))
      .rpush(b.keys.queue(queue), id)
      .exec();
  },
});
