import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: { index: "src/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    shims: true,
  },
  {
    // Loaded by the taskq CLI in its main process (see Middleware.mainProcessModule).
    entry: { "main-process": "src/main-process.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
  },
]);
