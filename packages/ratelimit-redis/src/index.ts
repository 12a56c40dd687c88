export type {
  RedisRateLimiterBackendOptions,
  RedisRateLimiterBackendOwnOptions,
} from "./redis-rate-limiter-backend.js";
export { RedisRateLimiterBackend } from "./redis-rate-limiter-backend.js";
