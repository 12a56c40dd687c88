import { cpSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  // The Lua scripts are read at run time from lua/ beside the bundle.
  shims: true,
  onSuccess: async () => {
    cpSync("src/lua", "dist/lua", { recursive: true });
  },
});
