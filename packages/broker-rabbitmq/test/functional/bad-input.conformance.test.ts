import { badInputConformance } from "@taskq/core/testing";
import type { RabbitmqBroker } from "../../src/index.js";
import { makeBroker, putRaw } from "../helpers/index.js";

// The shared hostile-input suite on a real RabbitMQ: raw bytes go on the queue through a
// channel of their own, as another producer's would.
badInputConformance("RabbitmqBroker", {
  makeBroker: () => makeBroker({ confirmDelivery: true }),
  putRaw: (broker, queueName, bytes) => putRaw(broker as RabbitmqBroker, queueName, bytes),
});
