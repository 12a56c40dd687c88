import { brokerConformance } from "@taskq/core/testing";
import { beforeAll } from "vitest";
import type { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, makeBroker } from "../helpers/index.js";

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
  enqueueRaw: async (broker, queue, data) => {
    const b = broker as RabbitmqBroker;
    await b.getQueueMessageCounts(queue);
    const model = await b.connection.get();
    const ch = await model.createConfirmChannel();
    ch.sendToQueue(queue, Buffer.from(data), { persistent: true });
    await ch.waitForConfirms();
    await ch.close();
  },
});
