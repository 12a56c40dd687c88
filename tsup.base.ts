import { cpSync } from "node:fs";
import type { Options } from "tsup";

/** What every published package's main entry is built with: ESM + CJS, types, maps. */
export const library = {
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  // `@internal` members exist for other taskq modules (worker ↔ execution, broker ↔ consumer)
  // and tests only: they stay out of the published typings.
  dts: { compilerOptions: { stripInternal: true } },
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

/**
 * For packages that use a private workspace package (`@taskq/redis-common`...): its code is
 * bundled in, so the published package does not depend on an unpublished one. Its types must
 * stay out of the public API (the .d.ts would import it).
 */
export function bundling(...packages: string[]) {
  return { noExternal: packages } satisfies Options;
}
