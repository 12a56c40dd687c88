import { defineConfig } from "tsup";
import { library } from "../../tsup.base.js";

export default defineConfig({
  ...library,
  entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts" },
  // One copy of shared modules (the global broker, the encoder) between the two entries.
  splitting: true,
  external: ["vitest"],
});
