import { defineConfig } from "tsup";
import { library, withLua } from "../../tsup.base.js";

export default defineConfig({ ...library, ...withLua });
