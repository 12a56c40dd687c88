export type { MemcachedConnectionOptions } from "./client.js";
export type { MemcachedResultBackendOptions } from "./memcached-result-backend.js";
export { MemcachedResultBackend } from "./memcached-result-backend.js";
