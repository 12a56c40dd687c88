import { defineConfig } from "tsup";
import { bundling, library } from "../../tsup.base.js";

export default defineConfig({ ...library, ...bundling("@taskq/memcached-common") });
