import { qName } from "@taskq/core";

/**
 * Dramatiq's Redis key layout, plus the few keys taskq adds (registry, wake channels).
 *
 * In cluster mode every key of a queue carries the hash tag of the queue's canonical name
 * (`ns:{q}`, `ns:{q}.DQ`, `ns:{q}.msgs`, `ns:{q}.XQ`, the acks sets), so a queue, its delay
 * queue and its dead letters share one slot and every script on them runs on one node. The
 * heartbeats, each worker's registry and the paused set are single keys that no script
 * combines with another key, so they need no tag (they land wherever they hash).
 */
export class Keys {
  readonly namespace: string;
  readonly brokerId: string;
  /** Whether this is the Redis Cluster layout (hash-tagged, not Dramatiq's). */
  readonly cluster: boolean;
  readonly heartbeats: string;
  /** The queues this broker holds acks on, so maintenance needs no KEYS command. */
  readonly registry: string;
  /** Set of the queues paused for the fleet, and the pub/sub channel that says it changed. */
  readonly paused: string;

  constructor(namespace: string, brokerId: string, cluster = false) {
    this.namespace = namespace;
    this.brokerId = brokerId;
    this.cluster = cluster;
    this.heartbeats = `${namespace}:__heartbeats__`;
    this.registry = this.registryOf(brokerId);
    this.paused = `${namespace}:__paused__`;
  }

  /** A worker's registry of the queues it holds acks on. */
  registryOf(worker: string): string {
    return `${this.namespace}:__ackqueues__.${worker}`;
  }

  /** A queue's name as it appears in keys: `q.DQ` becomes `{q}.DQ` in cluster mode. */
  private tagged(queueName: string): string {
    if (!this.cluster) return queueName;
    const q = qName(queueName);
    return `{${q}}${queueName.slice(q.length)}`;
  }

  /** List of message ids waiting on a queue (or delay queue). */
  queue(queueName: string): string {
    return `${this.namespace}:${this.tagged(queueName)}`;
  }

  /** Hash of message id to encoded message. */
  messages(queueName: string): string {
    return `${this.queue(queueName)}.msgs`;
  }

  /** Set of ids this broker fetched from a queue and has not settled. */
  acks(queueName: string, worker = this.brokerId): string {
    return `${this.namespace}:__acks__.${worker}.${this.tagged(queueName)}`;
  }

  /** Dead letters of a queue (a delay queue's go to its queue's): zset of ids by time. */
  dead(queueName: string): string {
    return `${this.namespace}:${this.tagged(qName(queueName))}.XQ`;
  }

  deadMessages(queueName: string): string {
    return `${this.dead(queueName)}.msgs`;
  }

  /** Pub/sub channel published when a queue goes from empty to not empty. */
  wake(queueName: string): string {
    return `${this.namespace}:__wake__.${this.tagged(queueName)}`;
  }

  /** The queue (or data-queue topic) a wake channel is for; undefined for another channel. */
  wakeTopic(channel: string): string | undefined {
    const prefix = `${this.namespace}:__wake__.`;
    if (!channel.startsWith(prefix)) return undefined;
    const rest = channel.slice(prefix.length);
    return this.cluster ? rest.replace("{", "").replace("}", "") : rest;
  }
}
