import { defineConfig } from "tsup";
import { library } from "../../tsup.base.js";

// shims: import.meta.url (the page script's location) in the CJS build too.
export default defineConfig({ ...library, shims: true });
