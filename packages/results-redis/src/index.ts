export type {
  RedisResultBackendOptions,
  RedisResultBackendOwnOptions,
} from "./redis-result-backend.js";
export { RedisResultBackend } from "./redis-result-backend.js";
