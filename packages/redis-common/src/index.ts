export { BlockingClients } from "./blocking-clients.js";
export { createClient, createClusterClient, reconnectDelay } from "./client.js";
export type { AnyRedis, Doing, RedisConnectionSettings, RunOptions } from "./connection.js";
export {
  DEFAULT_CONNECTION_TIMEOUT,
  describeClient,
  duplicateClient,
  RedisConnection,
} from "./connection.js";
export { connectionOptionChecks, ioredisOptions } from "./options.js";
export { execAll } from "./replies.js";
