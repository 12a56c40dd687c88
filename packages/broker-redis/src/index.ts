export type { RedisBrokerOptions, RedisBrokerOwnOptions } from "./redis-broker.js";
export { RedisBroker } from "./redis-broker.js";
export { RedisMessageProxy } from "./redis-consumer.js";
