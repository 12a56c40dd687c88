import { dramatiqInteropSuite } from "@taskq/test-servers";
import { inject } from "vitest";
import { RabbitmqBroker } from "../../src/index.js";

// A real Dramatiq 2.x against taskq on RabbitMQ, when DRAMATIQ_SRC is set (skipped otherwise).
dramatiqInteropSuite(
  "rabbitmq",
  () => inject("amqpUrl"),
  () => new RabbitmqBroker({ url: inject("amqpUrl") }),
);
