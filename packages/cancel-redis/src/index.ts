export type { RedisConnectionOptions } from "./options.js";
export type {
  RedisCancelBackendOptions,
  RedisCancelBackendOwnOptions,
} from "./redis-cancel-backend.js";
export { RedisCancelBackend } from "./redis-cancel-backend.js";
