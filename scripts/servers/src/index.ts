export type { MemcachedServer } from "./memcached.js";
export { startMemcached } from "./memcached.js";
export { findBinary, freePort } from "./process.js";
export type { RabbitmqServer } from "./rabbitmq.js";
export { startRabbitmq } from "./rabbitmq.js";
export type { RedisServer, RedisServerOptions } from "./redis.js";
export { startRedis } from "./redis.js";
export { memcachedSetup, rabbitmqSetup, redisSetup } from "./vitest-setup.js";
