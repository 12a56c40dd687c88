export type { QueueType, RabbitmqBrokerOptions } from "./rabbitmq-broker.js";
export { RabbitmqBroker } from "./rabbitmq-broker.js";
export { RabbitmqMessageProxy } from "./rabbitmq-consumer.js";
