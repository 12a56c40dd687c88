export type { MemcachedConnectionOptions } from "./client.js";
export {
  connectionError,
  createClient,
  describe,
  expiration,
  memcachedOptionChecks,
} from "./client.js";
