import { brokerConformance } from "@taskq/core/testing";
import { beforeAll } from "vitest";
import type { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, makeBroker, putRaw } from "../helpers/index.js";

beforeAll(() => {
  captureLogs();
});

// The suite uses one queue name; RabbitMQ has no namespaces, so each test flushes it.
brokerConformance(() => makeBroker({ confirmDelivery: true }), {
  name: "RabbitmqBroker conformance",
  destroy: async (broker) => {
    await broker.flushAll();
    await broker.close();
  },
  enqueueRaw: (broker, queue, data) => putRaw(broker as RabbitmqBroker, queue, data),
});
