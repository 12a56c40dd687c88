import { defineConfig } from "tsup";
import { bundling, library, withLua } from "../../tsup.base.js";

export default defineConfig({ ...library, ...withLua, ...bundling("@taskq/redis-common") });
