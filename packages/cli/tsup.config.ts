import { defineConfig } from "tsup";
import { library, sideEntry } from "../../tsup.base.js";

export default defineConfig([
  library,
  { ...sideEntry, entry: { cli: "src/cli.ts" }, banner: { js: "#!/usr/bin/env node" } },
]);
