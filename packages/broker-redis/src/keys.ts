import { qName } from "@taskq/core";

/** Dramatiq's Redis key layout, plus the few keys taskq adds (registry, wake channels). */
export class Keys {
  readonly namespace: string;
  readonly brokerId: string;
  readonly heartbeats: string;
  /** The queues this broker holds acks on, so maintenance needs no KEYS command. */
  readonly registry: string;
  /** Set of the queues paused for the fleet, and the pub/sub channel that says it changed. */
  readonly paused: string;

  constructor(namespace: string, brokerId: string) {
    this.namespace = namespace;
    this.brokerId = brokerId;
    this.heartbeats = `${namespace}:__heartbeats__`;
    this.registry = this.registryOf(brokerId);
    this.paused = `${namespace}:__paused__`;
  }

  /** The registry of any worker: the queues it holds acks on. */
  registryOf(brokerId: string): string {
    return `${this.namespace}:__ackqueues__.${brokerId}`;
  }

  /** List of message ids waiting on a queue (or delay queue). */
  queue(queueName: string): string {
    return `${this.namespace}:${queueName}`;
  }

  /** Hash of message id to encoded message. */
  messages(queueName: string): string {
    return `${this.namespace}:${queueName}.msgs`;
  }

  /** Set of ids this broker fetched from a queue and has not settled. */
  acks(queueName: string): string {
    return `${this.namespace}:__acks__.${this.brokerId}.${queueName}`;
  }

  /** Dead letters of a queue (a delay queue's go to its queue's): zset of ids by time. */
  dead(queueName: string): string {
    return `${this.namespace}:${qName(queueName)}.XQ`;
  }

  deadMessages(queueName: string): string {
    return `${this.dead(queueName)}.msgs`;
  }

  /** Pub/sub channel published when a queue goes from empty to not empty. */
  wake(queueName: string): string {
    return `${this.namespace}:__wake__.${queueName}`;
  }
}
