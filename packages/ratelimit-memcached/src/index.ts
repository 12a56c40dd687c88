export type { MemcachedConnectionOptions } from "./client.js";
export type { MemcachedRateLimiterBackendOptions } from "./memcached-rate-limiter-backend.js";
export { MemcachedRateLimiterBackend } from "./memcached-rate-limiter-backend.js";
