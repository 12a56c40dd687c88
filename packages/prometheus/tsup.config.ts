import { defineConfig } from "tsup";
import { library, sideEntry } from "../../tsup.base.js";

export default defineConfig([
  { ...library, shims: true },
  // Loaded by the taskq CLI in its main process (see Middleware.mainProcessModule).
  { ...sideEntry, entry: { "main-process": "src/main-process.ts" } },
]);
