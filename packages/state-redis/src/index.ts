export type { RedisConnectionOptions } from "./options.js";
export type {
  RedisStateBackendOptions,
  RedisStateBackendOwnOptions,
} from "./redis-state-backend.js";
export { RedisStateBackend } from "./redis-state-backend.js";
