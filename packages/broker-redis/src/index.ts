export type { RedisBrokerOptions, RedisBrokerOwnOptions } from "./options.js";
export { RedisBroker } from "./redis-broker.js";
export { RedisMessageProxy } from "./redis-consumer.js";
