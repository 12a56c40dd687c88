export type {
  MemcachedConnectionOptions,
  MemcachedResultBackendOptions,
} from "./memcached-result-backend.js";
export { MemcachedResultBackend } from "./memcached-result-backend.js";
