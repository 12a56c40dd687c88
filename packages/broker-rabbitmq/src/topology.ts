import { dqName, qName, xqName } from "@taskq/core";
import type { Channel } from "amqplib";
import type { QueueType } from "./options.js";

/** Quorum queues say so; classic ones send no type, as Dramatiq declares them. */
function typeArgument(queueType: QueueType): Record<string, unknown> {
  return queueType === "quorum" ? { "x-queue-type": "quorum" } : {};
}

/** What Dramatiq declares, byte for byte: pika sends integers as signed 32-bit ("int"). */
export function queueArguments(
  queueName: string,
  maxPriority: number | undefined,
  queueType: QueueType = "classic",
): Record<string, unknown> {
  const args: Record<string, unknown> = {
    ...typeArgument(queueType),
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": xqName(queueName),
  };
  if (maxPriority !== undefined) args["x-max-priority"] = { "!": "int", value: maxPriority };
  return args;
}

export function deadLetterArguments(
  deadMessageTtl: number,
  queueType: QueueType = "classic",
): Record<string, unknown> {
  // A static TTL: RabbitMQ expires messages from the head, in order (quorum queues: 3.10+).
  return { ...typeArgument(queueType), "x-message-ttl": { "!": "int", value: deadMessageTtl } };
}

/**
 * Declares a queue's three durable queues (q, q.DQ, q.XQ) once per connection, on demand.
 * Forgetting a queue makes the next use declare it again (after RabbitMQ lost it).
 */
export class Topology {
  private declared = new Map<string, Promise<void>>();
  private readonly ready = new Set<string>();
  private readonly maxPriority: number | undefined;
  private readonly deadMessageTtl: number;
  private readonly queueType: QueueType;

  constructor(maxPriority: number | undefined, deadMessageTtl: number, queueType: QueueType) {
    this.maxPriority = maxPriority;
    this.deadMessageTtl = deadMessageTtl;
    this.queueType = queueType;
  }

  /** A new connection: everything must be asserted again. */
  reset(): void {
    this.declared.clear();
    this.ready.clear();
  }

  /** Whether the queue is known to be declared on this connection (no wait needed). */
  isDeclared(queueName: string): boolean {
    return this.ready.has(qName(queueName));
  }

  forget(queueName: string): void {
    this.ready.delete(qName(queueName));
    this.declared.delete(qName(queueName));
  }

  /**
   * Declare the queues now, whatever this connection declared before: for a consumer about
   * to subscribe, which cannot tell that someone deleted them since (RabbitMQ says so only
   * to consumers already subscribed).
   */
  redeclare(queueName: string, channel: () => Promise<Channel>): Promise<void> {
    this.forget(queueName);
    return this.ensure(queueName, channel);
  }

  ensure(queueName: string, channel: () => Promise<Channel>): Promise<void> {
    const q = qName(queueName);
    let pending = this.declared.get(q);
    if (pending === undefined) {
      pending = this.declare(q, channel);
      this.declared.set(q, pending);
      pending.then(
        () => {
          if (this.declared.get(q) === pending) this.ready.add(q);
        },
        () => this.declared.delete(q),
      );
    }
    return pending;
  }

  private async declare(q: string, channel: () => Promise<Channel>): Promise<void> {
    const ch = await channel();
    const args = queueArguments(q, this.maxPriority, this.queueType);
    await ch.assertQueue(q, { durable: true, arguments: args });
    await ch.assertQueue(dqName(q), {
      durable: true,
      arguments: queueArguments(dqName(q), this.maxPriority, this.queueType),
    });
    await ch.assertQueue(xqName(q), {
      durable: true,
      arguments: deadLetterArguments(this.deadMessageTtl, this.queueType),
    });
  }
}
