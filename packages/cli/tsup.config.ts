import { defineConfig } from "tsup";
import { library, sideEntry } from "../../tsup.base.js";

export default defineConfig([
  // Shims: the CJS build reads its package.json and finds dist/cli.js through import.meta.url.
  { ...library, shims: true },
  { ...sideEntry, entry: { cli: "src/cli.ts" }, banner: { js: "#!/usr/bin/env node" } },
]);
