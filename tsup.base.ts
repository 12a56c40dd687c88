import { cpSync } from "node:fs";
import type { Options } from "tsup";

/** What every published package's main entry is built with: ESM + CJS, types, maps. */
export const library = {
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
} satisfies Options;

/** A side entry (CLI binary, main-process module): ESM only, no types, same target. */
export const sideEntry = {
  format: ["esm"],
  sourcemap: true,
  target: "node20",
} satisfies Options;

/** For packages whose Lua scripts are read at run time from lua/ beside the bundle. */
export const withLua = {
  shims: true,
  onSuccess: async () => {
    cpSync("src/lua", "dist/lua", { recursive: true });
  },
} satisfies Options;
