import type { Consumer, FetchOptions, Logger } from "@taskq/core";
import { Message, MessageProxy, renderBounded } from "@taskq/core";
import type { Channel, ConsumeMessage } from "amqplib";
import { AckBatcher } from "./ack-batcher.js";
import type { AmqpConnection } from "./connection.js";
import type { Topology } from "./topology.js";

/** A delivery, with the channel it came on: it can only be settled there. */
export class RabbitmqMessageProxy extends MessageProxy {
  /** @internal */
  readonly delivery: ConsumeMessage;
  /** @internal */
  readonly channel: Channel;
  constructor(message: Message, delivery: ConsumeMessage, channel: Channel) {
    super(message);
    this.delivery = delivery;
    this.channel = channel;
  }
}

/**
 * How a log line names a delivery whose body cannot be decoded: by its AMQP `messageId` when
 * the producer set one (bounded: a foreign producer can put anything there), and always by
 * its delivery tag, which finds it among the channel's deliveries.
 */
function deliveryName(delivery: ConsumeMessage): string {
  const tag = delivery.fields.deliveryTag;
  const id: unknown = delivery.properties.messageId;
  return id === undefined || id === null
    ? `with delivery tag ${tag}`
    : `${renderBounded(id, 200)} (delivery tag ${tag})`;
}

const RESUBSCRIBE_DELAY = 500;
/** RabbitMQ's prefetch count is a 16-bit field. */
const MAX_PREFETCH = 65_535;

/**
 * Consumes one queue on a channel of its own (prefetch per consumer). Deliveries wait in a
 * buffer until fetched. When the channel or connection goes, RabbitMQ requeues everything
 * unacked; the consumer subscribes again on the next connection (declaring the queue again,
 * in case it was deleted), and drops settlements meant for the old channel: those messages
 * are already back in the queue, and acking them on a new channel would ack something else.
 */
export class RabbitmqConsumer implements Consumer {
  readonly queueName: string;
  private readonly connection: AmqpConnection;
  private readonly topology: Topology;
  private readonly log: Logger;
  private readonly prefetch: number;
  private channel: Channel | undefined;
  private acks: AckBatcher | undefined;
  private buffer: RabbitmqMessageProxy[] = [];
  private waiter: (() => void) | undefined;
  private readonly held = new Set<RabbitmqMessageProxy>();
  private subscribing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onConnect = () => this.subscribe();
  private readonly released: (consumer: RabbitmqConsumer) => void;

  constructor(
    connection: AmqpConnection,
    topology: Topology,
    queueName: string,
    prefetch: number,
    log: Logger,
    released: (consumer: RabbitmqConsumer) => void,
  ) {
    this.released = released;
    this.connection = connection;
    this.topology = topology;
    this.queueName = queueName;
    this.prefetch = Math.max(1, Math.min(prefetch, MAX_PREFETCH));
    this.log = log;
    connection.on("connect", this.onConnect);
    this.subscribe();
  }

  /** Messages delivered here and not settled yet (buffered or handed to the worker). */
  get unsettled(): number {
    return this.buffer.length + this.held.size;
  }

  private subscribe(): void {
    if (this.closed || this.subscribing || this.channel !== undefined) return;
    this.subscribing = true;
    this.open()
      .catch((err: unknown) => {
        if (this.closed) return;
        this.log.warn({ err }, `Could not consume ${this.queueName}; trying again.`);
        this.later();
      })
      .finally(() => {
        this.subscribing = false;
      });
  }

  private later(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.subscribe();
    }, RESUBSCRIBE_DELAY);
  }

  private async open(): Promise<void> {
    const model = await this.connection.get();
    const ch = await model.createChannel();
    ch.on("error", () => {});
    ch.on("close", () => this.channelGone(ch));
    // Declared afresh on every subscription: the queue may have been deleted since this
    // connection last declared it, and consuming a missing queue fails until it is declared.
    await this.topology.redeclare(this.queueName, async () => ch);
    await ch.prefetch(this.prefetch);
    await ch.consume(this.queueName, (delivery) => this.deliver(ch, delivery), { noAck: false });
    if (this.closed) {
      await ch.close().catch(() => {});
      return;
    }
    this.batcherFor(ch);
  }

  private channelGone(ch: Channel): void {
    if (this.channel !== ch) return;
    this.channel = undefined;
    this.acks = undefined;
    // RabbitMQ requeues what this channel held; forget our copies.
    this.buffer = this.buffer.filter((p) => p.channel !== ch);
    for (const p of this.held) if (p.channel === ch) this.held.delete(p);
    if (!this.closed && this.connection.connected) this.later();
  }

  private deliver(ch: Channel, delivery: ConsumeMessage | null): void {
    if (delivery === null) {
      // The server cancelled us: the queue was deleted. Declare it again and come back.
      this.log.warn(
        `RabbitMQ cancelled the consumer of ${this.queueName} (queue deleted?); subscribing again.`,
      );
      this.topology.forget(this.queueName);
      if (this.channel === ch) {
        this.channel = undefined;
        this.acks = undefined;
        ch.close().catch(() => {});
      }
      this.later();
      return;
    }
    // Unacked deliveries of an abandoned channel go back to the queue when it closes.
    if (this.closed || (this.channel !== undefined && this.channel !== ch)) return;
    const acks = this.batcherFor(ch);
    acks.delivered(delivery.fields.deliveryTag);
    let message: Message;
    try {
      message = Message.decode(delivery.content);
    } catch (err) {
      this.log.error(
        { err },
        `Undecodable message ${deliveryName(delivery)} on queue ${this.queueName}; moving it to the dead letters.`,
      );
      ch.nack(delivery, false, false);
      acks.settledAlone(delivery.fields.deliveryTag);
      return;
    }
    this.buffer.push(new RabbitmqMessageProxy(message, delivery, ch));
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter();
    }
  }

  async fetch(max: number, options: FetchOptions): Promise<MessageProxy[]> {
    if (this.buffer.length === 0 && !this.closed && !options.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", done);
          if (this.waiter === done) this.waiter = undefined;
          resolve();
        };
        const timer = setTimeout(done, options.timeout);
        options.signal?.addEventListener("abort", done, { once: true });
        this.waiter = done;
      });
    }
    const out = this.buffer.length <= max ? this.buffer : this.buffer.slice(0, max);
    this.buffer = this.buffer.length <= max ? [] : this.buffer.slice(max);
    for (const p of out) this.held.add(p);
    return out;
  }

  /** Deliveries can arrive before `consume` resolves: the batcher follows the channel. */
  private batcherFor(ch: Channel): AckBatcher {
    if (this.channel === undefined) this.channel = ch;
    if (this.acks === undefined || this.channel !== ch) this.acks = new AckBatcher(ch);
    return this.acks;
  }

  /** Settle on the delivery's own channel, if it is still the live one. */
  private settle(
    message: MessageProxy,
    action: (acks: AckBatcher, ch: Channel, d: ConsumeMessage) => void,
  ): void {
    const proxy = message as RabbitmqMessageProxy;
    if (!this.held.delete(proxy)) return;
    if (proxy.channel !== this.channel || this.acks === undefined) {
      this.log.debug(
        `Message ${proxy.messageId} came on a channel since closed; RabbitMQ has requeued it.`,
      );
      return;
    }
    action(this.acks, proxy.channel, proxy.delivery);
  }

  ack(message: MessageProxy): void {
    this.settle(message, (acks, _ch, d) => acks.ack(d.fields.deliveryTag));
  }

  nack(message: MessageProxy): void {
    this.settle(message, (acks, ch, d) => {
      ch.nack(d, false, false);
      acks.settledAlone(d.fields.deliveryTag);
    });
  }

  async requeue(messages: readonly MessageProxy[]): Promise<void> {
    for (const m of messages) {
      this.settle(m, (acks, ch, d) => {
        ch.nack(d, false, true);
        acks.settledAlone(d.fields.deliveryTag);
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.released(this);
    this.connection.off("connect", this.onConnect);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
    const ch = this.channel;
    // Acks waiting for the next turn go out before the channel closes.
    this.acks?.flush();
    this.channel = undefined;
    this.acks = undefined;
    this.buffer = [];
    this.held.clear();
    // Closing the channel hands back every unacked delivery, in order.
    if (ch !== undefined) await ch.close().catch(() => {});
  }
}
