import { brokerConformance } from "@taskq/core/testing";
import { beforeAll } from "vitest";
import type { RedisBroker } from "../../src/index.js";
import { captureLogs, makeBroker, putRaw } from "../helpers.js";

beforeAll(() => {
  captureLogs();
});

brokerConformance(() => makeBroker(), {
  name: "RedisBroker conformance",
  enqueueRaw: async (broker, queue, data) => {
    await putRaw(broker as RedisBroker, queue, data);
  },
});
