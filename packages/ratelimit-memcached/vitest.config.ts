import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "ratelimit-memcached",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/memcached.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
