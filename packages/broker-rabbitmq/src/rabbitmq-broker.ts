import type {
  BrokerOptions,
  ConsumeOptions,
  Consumer,
  DeadLetterInfo,
  JoinOptions,
  Message,
  MessageProxy,
  QueueMessageCounts,
} from "@taskq/core";
import {
  Broker,
  dqName,
  getCurrentMessage,
  lazyLogger,
  Message as MessageClass,
  QueueJoinTimeout,
  qName,
  xqName,
} from "@taskq/core";
import type { Channel } from "amqplib";
import { AmqpConnection } from "./connection.js";
import { Publisher } from "./publisher.js";
import { RabbitmqConsumer } from "./rabbitmq-consumer.js";
import { Topology } from "./topology.js";

export interface RabbitmqBrokerOptions extends BrokerOptions {
  /** `amqp://user:pass@host:port/vhost`, or several for failover. Default `amqp://127.0.0.1:5672`. */
  url?: string | string[];
  /** Resolve `send` only once RabbitMQ has confirmed the message. Default false. */
  confirmDelivery?: boolean;
  /** Declare queues with `x-max-priority` (1..255) so `brokerPriority` orders messages. */
  maxPriority?: number;
  /** How long dead letters are kept in `<q>.XQ`, ms. Default 7 days (Dramatiq's). */
  deadMessageTtl?: number;
  /** How long an operation waits for a (re)connection before failing, ms. Default 10 000. */
  connectionTimeout?: number;
  /** amqplib socket options (TLS certificates, heartbeat, ...). */
  socketOptions?: Record<string, unknown>;
}

const JOIN_INTERVAL = 50;

/** The encoder's bytes as a Buffer, without a copy when they already are one. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
/** Consecutive empty readings before join trusts them (counts exclude in-flight moves). */
const JOIN_SUCCESSES = 3;

/**
 * A broker on RabbitMQ with Dramatiq's topology: durable `<q>`, `<q>.DQ` and `<q>.XQ`, the
 * first two dead-lettering into the third, declared with the same arguments as Dramatiq so
 * neither side gets a precondition failure. Persistent messages on the default exchange; a
 * nack routes to `<q>.XQ`. Reconnects (rotating through the URLs) and resubscribes after
 * RabbitMQ restarts or channels close.
 */
export class RabbitmqBroker extends Broker {
  readonly confirmDelivery: boolean;
  readonly maxPriority: number | undefined;
  readonly deadMessageTtl: number;
  readonly log = lazyLogger("taskq.RabbitmqBroker");
  readonly connection: AmqpConnection;
  private readonly topology: Topology;
  private readonly publisher: Publisher;
  private readonly consumers = new Set<RabbitmqConsumer>();
  private adminChannel: Promise<Channel> | undefined;

  constructor(options: RabbitmqBrokerOptions = {}) {
    super(options.middleware ? { middleware: options.middleware } : {});
    const urls = options.url === undefined ? ["amqp://127.0.0.1:5672"] : [options.url].flat();
    if (urls.length === 0 || urls.some((u) => typeof u !== "string" || !/^amqps?:\/\//.test(u))) {
      throw new TypeError(
        `RabbitmqBroker url must be amqp:// or amqps:// URLs, got ${JSON.stringify(options.url)}`,
      );
    }
    const { maxPriority } = options;
    if (
      maxPriority !== undefined &&
      !(Number.isInteger(maxPriority) && maxPriority >= 1 && maxPriority <= 255)
    ) {
      throw new TypeError(
        `RabbitmqBroker maxPriority must be an integer from 1 to 255, got ${String(maxPriority)}`,
      );
    }
    this.confirmDelivery = options.confirmDelivery ?? false;
    this.maxPriority = maxPriority;
    this.deadMessageTtl = options.deadMessageTtl ?? 7 * 24 * 3600 * 1000;
    this.connection = new AmqpConnection({
      urls,
      connectionTimeout: options.connectionTimeout ?? 10_000,
      socketOptions: options.socketOptions,
      log: this.log,
    });
    this.topology = new Topology(this.maxPriority, this.deadMessageTtl);
    this.publisher = new Publisher(this.connection, this.topology, this.log);
    this.connection.on("connect", () => this.topology.reset());
    this.connection.on("disconnect", () => {
      this.adminChannel = undefined;
    });
  }

  /** A channel for declarations, counts and purges (any error closes it; the next call opens another). */
  private admin(): Promise<Channel> {
    this.adminChannel ??= (async () => {
      const model = await this.connection.get();
      const ch = await model.createChannel();
      ch.on("error", () => {});
      ch.on("close", () => {
        this.adminChannel = undefined;
      });
      return ch;
    })().catch((err: unknown) => {
      this.adminChannel = undefined;
      throw err;
    });
    return this.adminChannel;
  }

  private publish(message: Message): ReturnType<Publisher["publish"]> {
    const priority = message.options.broker_priority;
    return this.publisher.publish({
      queueName: message.queueName,
      body: asBuffer(message.encode()),
      priority: typeof priority === "number" ? priority : undefined,
    });
  }

  /**
   * With confirmDelivery, resolves once RabbitMQ confirmed the message; otherwise once it is
   * written (it is still resent in the background if the channel drops before the confirm).
   * A message handed on by a worker (a retry, a callback, the next step) is always confirmed
   * before the message that produced it is acked.
   */
  private async settlePublication(
    published: ReturnType<Publisher["publish"]>,
    what: string,
  ): Promise<void> {
    if (this.confirmDelivery || getCurrentMessage() !== undefined) {
      await published.confirmed;
      return;
    }
    published.confirmed.catch((err: unknown) =>
      this.log.error({ err }, `${what} could not be published.`),
    );
    await published.written;
  }

  protected async doEnqueue<R>(message: Message<R>): Promise<Message<R>> {
    await this.settlePublication(this.publish(message), `Message ${message.messageId}`);
    return message;
  }

  protected override async doEnqueueMany<R>(
    messages: readonly Message<R>[],
  ): Promise<Message<R>[]> {
    await Promise.all(
      messages.map((m) => this.settlePublication(this.publish(m), `Message ${m.messageId}`)),
    );
    return [...messages];
  }

  /** The copy is confirmed on its queue before the delayed original is acked. */
  protected override async doPromote(
    consumer: Consumer,
    delayed: MessageProxy,
    target: Message,
  ): Promise<void> {
    await this.publish(target).confirmed;
    await consumer.ack(delayed);
  }

  consume(queueName: string, options: ConsumeOptions = {}): Consumer {
    const consumer = new RabbitmqConsumer(
      this.connection,
      this.topology,
      queueName,
      options.prefetch ?? 1,
      this.log,
      (c) => this.consumers.delete(c),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  private async readyCount(queueName: string): Promise<number> {
    const ch = await this.admin();
    return (await ch.checkQueue(queueName)).messageCount;
  }

  /** Ready messages of the queue, its delay queue and its dead letters. */
  async getQueueMessageCounts(queueName: string): Promise<QueueMessageCounts> {
    const q = qName(queueName);
    await this.topology.ensure(q, () => this.admin());
    const [ready, delayed, dead] = await Promise.all([
      this.readyCount(q),
      this.readyCount(dqName(q)),
      this.readyCount(xqName(q)),
    ]);
    return { ready, delayed, dead };
  }

  /**
   * Resolves once the queue and its delay queue have no ready message several readings in
   * a row and no consumer of this process holds one of theirs. Messages held by other
   * processes are not seen (RabbitMQ does not count unacked messages): a test helper.
   */
  async join(queueName: string, options: JoinOptions = {}): Promise<void> {
    const q = qName(queueName);
    const dq = dqName(q);
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    await this.topology.ensure(q, () => this.admin());
    let successes = 0;
    while (successes < JOIN_SUCCESSES) {
      const held = [...this.consumers]
        .filter((c) => c.queueName === q || c.queueName === dq)
        .reduce((n, c) => n + c.unsettled, 0);
      const ready = held > 0 ? 1 : (await this.readyCount(q)) + (await this.readyCount(dq));
      successes = ready + held === 0 ? successes + 1 : 0;
      if (successes >= JOIN_SUCCESSES) return;
      if (deadline !== undefined && Date.now() >= deadline) {
        throw new QueueJoinTimeout(`Queue ${q} still had messages after ${options.timeout} ms`);
      }
      await new Promise((r) => setTimeout(r, JOIN_INTERVAL));
    }
  }

  override async ping(): Promise<void> {
    await this.connection.get();
  }

  /** Reads up to `limit` dead letters and puts them back where they were (unacked, then released). */
  override async getDeadLetters(
    queueName: string,
    options: { limit?: number } = {},
  ): Promise<DeadLetterInfo[]> {
    const q = qName(queueName);
    await this.topology.ensure(q, () => this.admin());
    const ch = await (await this.connection.get()).createChannel();
    const out: DeadLetterInfo[] = [];
    try {
      while (out.length < (options.limit ?? Number.POSITIVE_INFINITY)) {
        const got = await ch.get(xqName(q), { noAck: false });
        if (got === false) break;
        const text = got.content.toString("utf8");
        let message: Message | null = null;
        try {
          message = MessageClass.decode(got.content);
        } catch {
          // Shown raw: it died because it does not decode.
        }
        out.push({ id: String(got.fields.deliveryTag), message, data: text });
      }
    } finally {
      // Closing without acking hands them all back, in their order.
      await ch.close().catch(() => {});
    }
    return out;
  }

  /** Moves each dead letter back to its queue: confirmed there before it leaves `<q>.XQ`. */
  override async requeueDeadLetters(queueName: string): Promise<number> {
    const q = qName(queueName);
    await this.topology.ensure(q, () => this.admin());
    const ch = await (await this.connection.get()).createChannel();
    let moved = 0;
    try {
      for (;;) {
        const got = await ch.get(xqName(q), { noAck: false });
        if (got === false) break;
        await this.publisher.publish({
          queueName: q,
          body: got.content,
          priority: got.properties.priority,
        }).confirmed;
        ch.ack(got);
        moved++;
      }
    } finally {
      await ch.close().catch(() => {});
    }
    return moved;
  }

  override async purgeDeadLetters(queueName: string): Promise<number> {
    const q = qName(queueName);
    await this.topology.ensure(q, () => this.admin());
    const ch = await this.admin();
    return (await ch.purgeQueue(xqName(q))).messageCount;
  }

  async flush(queueName: string): Promise<void> {
    const q = qName(queueName);
    await this.topology.ensure(q, () => this.admin());
    const ch = await this.admin();
    for (const name of [q, dqName(q), xqName(q)]) await ch.purgeQueue(name);
  }

  override async close(): Promise<void> {
    for (const consumer of [...this.consumers]) await consumer.close();
    await this.publisher.close();
    const admin = this.adminChannel;
    this.adminChannel = undefined;
    if (admin !== undefined) await admin.then((ch) => ch.close()).catch(() => {});
    await this.connection.close();
  }
}
