export { findBinary, freePort } from "./process.js";
export type { RedisServer, RedisServerOptions } from "./redis.js";
export { startRedis } from "./redis.js";
