export type {
  MemcachedConnectionOptions,
  MemcachedRateLimiterBackendOptions,
} from "./memcached-rate-limiter-backend.js";
export { MemcachedRateLimiterBackend } from "./memcached-rate-limiter-backend.js";
