import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "results-redis",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/redis-server.ts", "test/setup/redis-cluster.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
