import { beforeAll } from "vitest";
import { StubBroker } from "../src/index.js";
import { brokerConformance } from "../src/testing/index.js";
import { captureLogs } from "./helpers.js";

beforeAll(() => {
  captureLogs();
});

brokerConformance(() => new StubBroker(), {
  name: "StubBroker conformance",
  enqueueRaw: async (broker, queue, data) => (broker as StubBroker).enqueueBytes(queue, data),
});
