import { defineConfig } from "tsup";
import { library } from "../../tsup.base.js";

export default defineConfig([
  {
    ...library,
    format: ["esm"],
    entry: {
      index: "src/index.ts",
      "testing/index": "src/testing/index.ts",
      // What an isolation pool thread runs (DESIGN §16); the CJS build uses it too.
      "isolation/entry": "src/isolation/entry.ts",
    },
    // One copy of shared modules (the global broker, the encoder) between the two entries.
    splitting: true,
    external: ["vitest"],
  },
  // `@taskq/core/testing` is ESM only: its suites run under vitest, which cannot be
  // require()d. The main entry is also built for require().
  // shims: import.meta.url (which finds the isolation entry) works in the CJS build too.
  { ...library, format: ["cjs"], entry: { index: "src/index.ts" }, clean: false, shims: true },
]);
