import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "cancel-redis",
    include: ["test/**/*.test.ts"],
    // Redis for the backend; RabbitMQ to show cancels work on that broker too.
    globalSetup: [
      "test/setup/redis-server.ts",
      "test/setup/redis-cluster.ts",
      "test/setup/rabbitmq-server.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
