import { defineConfig } from "vitest/config";

// Each package keeps its own vitest.config.ts; the root runs them all as projects.
export default defineConfig({
  test: {
    projects: ["packages/*", "scripts/checks"],
  },
});
