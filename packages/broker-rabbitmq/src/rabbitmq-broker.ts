import type {
  ConsumeOptions,
  Consumer,
  DeadLetterInfo,
  DeadLetterListOptions,
  DeadLetterSelection,
  JoinOptions,
  Message,
  MessageProxy,
  PingOptions,
  QueueMessageCounts,
} from "@taskq/core";
import {
  Broker,
  ConnectionError,
  ConnectionFailed,
  deadLetterPaging,
  dqName,
  getCurrentMessage,
  InvalidArgument,
  lazyLogger,
  QueueJoinTimeout,
  qName,
  renderBounded,
  selectedDeadLetterIds,
  validateOptions,
  xqName,
} from "@taskq/core";
import type { Channel, ConfirmChannel, GetMessage } from "amqplib";
import { AmqpConnection } from "./connection.js";
import { DEAD_LETTER_SCAN_LIMIT, deadLetterInfo } from "./dead-letters.js";
import { LogThrottle } from "./log-throttle.js";
import type { QueueType, RabbitmqBrokerOptions } from "./options.js";
import { checkTimeout, resolveOptions } from "./options.js";
import { PauseWatch, readFlag, writeFlag } from "./pause-flags.js";
import type { Published } from "./publisher.js";
import { Publisher } from "./publisher.js";
import { RabbitmqConsumer } from "./rabbitmq-consumer.js";
import { Topology } from "./topology.js";

export type { QueueType, RabbitmqBrokerOptions } from "./options.js";

const JOIN_INTERVAL = 50;

/** The encoder's bytes as a Buffer, without a copy when they already are one. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : renderBounded(err, 200);
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
  /** Whether `send` resolves only once RabbitMQ has confirmed the message. */
  readonly confirmDelivery: boolean;
  /** Whether `q`, `q.DQ` and `q.XQ` are classic or quorum queues. */
  readonly queueType: QueueType;
  /** The `x-max-priority` queues are declared with; undefined for none. */
  readonly maxPriority: number | undefined;
  /** How long dead letters are kept in `<q>.XQ`, ms. */
  readonly deadMessageTtl: number;
  /** How long a send or a ping waits for a connection before failing, ms. */
  readonly connectionTimeout: number;
  /** The broker's logger, `taskq.RabbitmqBroker`. */
  readonly log = lazyLogger("taskq.RabbitmqBroker");
  /** @internal */
  readonly connection: AmqpConnection;
  private readonly topology: Topology;
  private readonly publisher: Publisher;
  private readonly consumers = new Set<RabbitmqConsumer>();
  private adminChannel: Promise<Channel> | undefined;
  private readonly pauseWatch: PauseWatch;
  /** Messages lost after `send` resolved: each is named, but not ten thousand at once. */
  private readonly unconfirmed = new LogThrottle(10, 10_000, (line) => this.log.error(line));

  constructor(options: RabbitmqBrokerOptions = {}) {
    const resolved = resolveOptions(options);
    super(resolved.middleware ? { middleware: resolved.middleware } : {});
    this.confirmDelivery = resolved.confirmDelivery;
    this.queueType = resolved.queueType;
    this.maxPriority = resolved.maxPriority;
    this.deadMessageTtl = resolved.deadMessageTtl;
    this.connectionTimeout = resolved.connectionTimeout;
    this.connection = new AmqpConnection({
      urls: resolved.urls,
      connectionTimeout: resolved.connectionTimeout,
      socketOptions: resolved.socketOptions,
      log: this.log,
    });
    this.topology = new Topology(this.maxPriority, this.deadMessageTtl, this.queueType);
    this.publisher = new Publisher(this.connection, this.topology, this.log);
    this.connection.on("connect", () => this.topology.reset());
    this.pauseWatch = new PauseWatch(
      this.connection,
      this.log,
      () => this.queues,
      (names) => this.notePausedQueues(names),
      this.queueType,
    );
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

  private publish(message: Message, patient = false): Published {
    const priority = message.options.broker_priority;
    return this.publisher.publish({
      queueName: message.queueName,
      body: asBuffer(message.encode()),
      priority: typeof priority === "number" ? priority : undefined,
      patient,
    });
  }

  /**
   * With confirmDelivery, resolves once RabbitMQ confirmed the message; otherwise once it is
   * written (it is still sent again in the background if the connection or channel drops
   * before the confirm, once there is a connection again). A message handed on by a worker
   * (a retry, a callback, the next step) is always confirmed before the message that
   * produced it is acked.
   */
  private async send(message: Message): Promise<void> {
    if (this.confirmDelivery || getCurrentMessage() !== undefined) {
      await this.publish(message).confirmed;
      return;
    }
    const published = this.publish(message, true);
    let answered = false;
    published.confirmed.catch((err: unknown) => {
      // Once `send` has resolved, nobody else hears of this failure; before, the caller
      // gets the rejection and a log line would only say it twice.
      if (!answered) {
        this.log.debug(`Message ${message.messageId} could not be published: ${errorText(err)}`);
        return;
      }
      this.unconfirmed.log(
        () =>
          `Message ${message.messageId} was sent to ${message.queueName} but never confirmed by RabbitMQ; it may be lost: ${errorText(err)}`,
      );
    });
    await published.written;
    answered = true;
  }

  protected async doEnqueue<R>(message: Message<R>): Promise<Message<R>> {
    await this.send(message);
    return message;
  }

  protected override async doEnqueueMany<R>(
    messages: readonly Message<R>[],
  ): Promise<Message<R>[]> {
    await Promise.all(messages.map((m) => this.send(m)));
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

  /**
   * Resolves once RabbitMQ answers a round trip on the connection (connecting first if
   * needed); otherwise rejects after at most `timeout` ms (default `connectionTimeout`) with a
   * ConnectionFailed naming the address.
   */
  override async ping(options: PingOptions = {}): Promise<void> {
    validateOptions("RabbitmqBroker.ping", options, { timeout: checkTimeout });
    const timeout = options.timeout ?? this.connectionTimeout;
    const trip = this.roundTrip(timeout);
    // Past the deadline the caller has its answer; a later outcome changes nothing.
    trip.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), timeout);
    });
    try {
      if ((await Promise.race([trip, expired])) !== "expired") return;
      throw this.pingFailure(timeout, undefined);
    } catch (err) {
      throw err instanceof ConnectionFailed ? err : this.pingFailure(timeout, err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whatever went wrong, the answer is the same: the server is not there for us now. */
  private pingFailure(timeout: number, failure: unknown): ConnectionFailed {
    let reason: string;
    if (failure instanceof ConnectionError) reason = this.connection.lastReason;
    else if (failure !== undefined) reason = `: ${errorText(failure)}`;
    else reason = this.connection.connected ? ": no answer" : this.connection.lastReason;
    return new ConnectionFailed(
      `Could not connect to RabbitMQ at ${this.connection.address} within ${timeout} ms${reason}`,
      { cause: failure instanceof ConnectionError ? (failure.cause ?? failure) : failure },
    );
  }

  /** Opening and closing a channel: two round trips, and nothing left behind. */
  private async roundTrip(timeout: number): Promise<void> {
    const model = await this.connection.get(timeout);
    const ch = await model.createChannel();
    ch.on("error", () => {});
    await ch.close();
  }

  /**
   * Reads `offset + limit` dead letters (at most DEAD_LETTER_SCAN_LIMIT, 10,000) and puts them
   * back where they were (unacked, then released). Always oldest first: RabbitMQ hands a queue
   * out in order only, so `newestFirst` would mean reading all of it.
   */
  override async getDeadLetters(
    queueName: string,
    options: DeadLetterListOptions = {},
  ): Promise<DeadLetterInfo[]> {
    const { offset, limit } = deadLetterPaging("getDeadLetters", options);
    const end = offset + limit;
    if (options.limit !== undefined && end > DEAD_LETTER_SCAN_LIMIT)
      throw new InvalidArgument(
        `getDeadLetters: RabbitMQ reads dead letters in order, so offset + limit must be at most ${DEAD_LETTER_SCAN_LIMIT}, got ${end}`,
      );
    const q = qName(queueName);
    await this.topology.ensure(q, () => this.admin());
    const ch = await (await this.connection.get()).createChannel();
    const out: DeadLetterInfo[] = [];
    try {
      for (let seen = 0; seen < end; seen++) {
        const got = await ch.get(xqName(q), { noAck: false });
        if (got === false) break;
        if (seen >= offset) out.push(deadLetterInfo(got));
      }
    } finally {
      // Closing without acking hands them all back, in their order.
      await ch.close().catch(() => {});
    }
    return out;
  }

  /**
   * Moves dead letters back to their queue: each confirmed there before it leaves `<q>.XQ`.
   * With `ids`, one pass reads up to DEAD_LETTER_SCAN_LIMIT (10,000) dead letters, moves the
   * chosen ones and hands the rest back in order; ids further in are not found.
   */
  override async requeueDeadLetters(
    queueName: string,
    options: DeadLetterSelection = {},
  ): Promise<number> {
    const ids = selectedDeadLetterIds("requeueDeadLetters", options);
    return this.passOverDeadLetters(queueName, ids, async (ch, got) => {
      await this.publisher.publish({
        queueName: qName(queueName),
        body: got.content,
        priority: got.properties.priority,
      }).confirmed;
      ch.ack(got);
    });
  }

  /** Deletes dead letters: all at once, or (with `ids`) by one bounded pass as for requeue. */
  override async purgeDeadLetters(
    queueName: string,
    options: DeadLetterSelection = {},
  ): Promise<number> {
    const ids = selectedDeadLetterIds("purgeDeadLetters", options);
    const q = qName(queueName);
    if (ids === undefined) {
      await this.topology.ensure(q, () => this.admin());
      const ch = await this.admin();
      return (await ch.purgeQueue(xqName(q))).messageCount;
    }
    return this.passOverDeadLetters(queueName, ids, async (ch, got) => {
      ch.ack(got);
    });
  }

  /** Reads dead letters in order and hands the chosen ones (all without ids) to `take`. */
  private async passOverDeadLetters(
    queueName: string,
    ids: Set<string> | undefined,
    take: (ch: Channel, got: GetMessage) => Promise<void>,
  ): Promise<number> {
    if (ids !== undefined && ids.size === 0) return 0;
    const q = qName(queueName);
    await this.topology.ensure(q, () => this.admin());
    const ch = await (await this.connection.get()).createChannel();
    let taken = 0;
    try {
      for (let seen = 0; ids === undefined || seen < DEAD_LETTER_SCAN_LIMIT; seen++) {
        const got = await ch.get(xqName(q), { noAck: false });
        if (got === false) break;
        if (ids !== undefined) {
          const id = deadLetterInfo(got).message?.messageId;
          if (id === undefined || !ids.delete(id)) continue;
        }
        await take(ch, got);
        taken++;
        if (ids !== undefined && ids.size === 0) break;
      }
    } finally {
      // What was read and not taken goes back to the queue, in order, when the channel closes.
      await ch.close().catch(() => {});
    }
    return taken;
  }

  /**
   * Sets the queue's flag (a durable queue `taskq.paused.<queue>` holding one message) and
   * sends a notice on the fanout exchange `taskq.control`, which every watching broker reads.
   */
  override async pauseQueue(queueName: string): Promise<void> {
    await this.withConfirmChannel((ch) =>
      writeFlag(ch, this.pauseName(queueName), true, this.queueType),
    );
  }

  override async resumeQueue(queueName: string): Promise<void> {
    await this.withConfirmChannel((ch) =>
      writeFlag(ch, this.pauseName(queueName), false, this.queueType),
    );
  }

  /** A confirm channel of its own for a rare admin write that must be confirmed. */
  private async withConfirmChannel<T>(use: (ch: ConfirmChannel) => Promise<T>): Promise<T> {
    const model = await this.connection.get();
    const ch = await model.createConfirmChannel();
    ch.on("error", () => {});
    try {
      return await use(ch);
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /** The declared queues whose flag is set (RabbitMQ cannot list queues by name pattern). */
  override async pausedQueues(): Promise<string[]> {
    const ch = await this.admin();
    const paused: string[] = [];
    for (const q of [...this.queues].sort())
      if (await readFlag(ch, q, this.queueType)) paused.push(q);
    return paused;
  }

  protected override startPauseWatch(): void {
    this.pauseWatch.start();
  }

  protected override stopPauseWatch(): void {
    void this.pauseWatch.close();
  }

  async flush(queueName: string): Promise<void> {
    const q = qName(queueName);
    await this.topology.ensure(q, () => this.admin());
    const ch = await this.admin();
    for (const name of [q, dqName(q), xqName(q)]) await ch.purgeQueue(name);
  }

  override async close(): Promise<void> {
    await this.pauseWatch.close();
    for (const consumer of [...this.consumers]) await consumer.close();
    await this.publisher.close();
    const admin = this.adminChannel;
    this.adminChannel = undefined;
    if (admin !== undefined) await admin.then((ch) => ch.close()).catch(() => {});
    await this.connection.close();
  }
}
