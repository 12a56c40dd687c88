import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "dashboard",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/redis-server.ts", "test/setup/rabbitmq-server.ts"],
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
