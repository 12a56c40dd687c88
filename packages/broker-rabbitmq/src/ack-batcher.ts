import { Fifo } from "@taskq/core";
import type { Message as AmqpMessage, Channel } from "amqplib";

/**
 * Acks for one channel, sent once per turn of the event loop: a single `multiple` ack
 * covers the run of settled deliveries at the front, and only acks stuck behind a delivery
 * still being processed go out one by one. Delivery tags rise in delivery order, so the
 * front of the order is the oldest unsettled delivery.
 */
export class AckBatcher {
  private readonly channel: Channel;
  private readonly order = new Fifo<number>();
  /** Acked here, not yet sent. */
  private readonly acked = new Set<number>();
  /** Settled on the server already (nacked, requeued, acked alone): skip at the front. */
  private readonly settled = new Set<number>();
  private scheduled = false;

  constructor(channel: Channel) {
    this.channel = channel;
  }

  delivered(tag: number): void {
    this.order.push(tag);
  }

  ack(tag: number): void {
    this.acked.add(tag);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** A nack or requeue went out for `tag` by itself. */
  settledAlone(tag: number): void {
    this.settled.add(tag);
  }

  /** Send what is pending now (before the channel closes, say). */
  flush(): void {
    this.scheduled = false;
    let upTo = -1;
    for (let head = this.order.peek(); head !== undefined; head = this.order.peek()) {
      if (this.acked.delete(head)) upTo = head;
      else if (!this.settled.delete(head)) break;
      this.order.shift();
    }
    try {
      if (upTo >= 0) this.channel.ack(tagOnly(upTo), true);
      for (const tag of this.acked) {
        this.channel.ack(tagOnly(tag), false);
        this.settled.add(tag);
      }
    } catch {
      // The channel closed (a lost connection, a broker restart) and amqplib throws: the
      // server puts every delivery still unacked on it back on its queue, so these messages
      // come again (at least once). Thrown from the setImmediate, it would end the process.
    }
    this.acked.clear();
  }
}

/** amqplib's ack reads only the delivery tag of the message it is given. */
function tagOnly(deliveryTag: number): AmqpMessage {
  return { fields: { deliveryTag } } as unknown as AmqpMessage;
}
