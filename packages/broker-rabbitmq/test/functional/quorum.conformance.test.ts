import { badInputConformance, brokerConformance } from "@taskq/core/testing";
import { beforeAll } from "vitest";
import type { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, makeQuorumBroker, putRaw } from "../helpers/index.js";

beforeAll(() => {
  captureLogs();
});

// The shared suites again, on quorum queues (in a vhost of their own: the classic suites
// declare the same queue names as classic queues).
brokerConformance(() => makeQuorumBroker(), {
  name: "RabbitmqBroker conformance (quorum queues)",
  destroy: async (broker) => {
    await broker.flushAll();
    await broker.close();
  },
  enqueueRaw: (broker, queue, data) => putRaw(broker as RabbitmqBroker, queue, data),
});

badInputConformance("RabbitmqBroker (quorum queues)", {
  makeBroker: () => makeQuorumBroker(),
  putRaw: (broker, queueName, bytes) => putRaw(broker as RabbitmqBroker, queueName, bytes),
});
