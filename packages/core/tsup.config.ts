import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  // One copy of shared modules (the global broker, the encoder) between the two entries.
  splitting: true,
  external: ["vitest"],
});
