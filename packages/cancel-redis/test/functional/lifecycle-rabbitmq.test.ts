import { randomUUID } from "node:crypto";
import { RabbitmqBroker } from "@taskq/broker-rabbitmq";
import { StubStateBackend } from "@taskq/core";
import { captureLogs, lifecycleConformance } from "@taskq/core/testing";
import { beforeAll, inject } from "vitest";
import { RedisCancelBackend } from "../../src/index.js";

beforeAll(() => {
  captureLogs();
});

// Cancels on another broker: RabbitMQ queues, marks and notices in Redis. RabbitMQ has no
// namespaces: each test's broker flushes the suite's queue when it is done.
lifecycleConformance({
  name: "lifecycle on RabbitmqBroker with RedisCancelBackend",
  makeBroker: () => new RabbitmqBroker({ url: inject("amqpUrl"), connectionTimeout: 5000 }),
  makeStateBackend: () => new StubStateBackend(),
  makeCancelBackend: () =>
    new RedisCancelBackend({ url: inject("redisUrl"), namespace: `rmq-${randomUUID()}` }),
});
