import { randomUUID } from "node:crypto";
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
  ConnectionClosed,
  connectionError,
  dqName,
  lazyLogger,
  Message as MessageClass,
  QueueJoinTimeout,
  qName,
} from "@taskq/core";
import type { Redis, RedisOptions } from "ioredis";
import { createClient, describeClient, watchConnection } from "./connection.js";
import { Keys } from "./keys.js";
import type { ConsumerHost } from "./redis-consumer.js";
import { RedisConsumer, type RedisMessageProxy } from "./redis-consumer.js";
import type { ScriptClient } from "./scripts.js";
import { withScripts } from "./scripts.js";

export interface RedisBrokerOwnOptions {
  /** `redis://[:password@]host:port/db`; when given, other connection options refine it. */
  url?: string;
  /** An ioredis client to use (and leave open on close) instead of creating one. */
  client?: Redis;
  /** Prefix of every key. Default `taskq` (Dramatiq's is `dramatiq`: use it to share queues). */
  namespace?: string;
  /** A worker whose heartbeat is older than this many ms is dead; its messages are given back. Default 60 000. */
  heartbeatTimeout?: number;
  /** How long dead letters are kept, ms. Default 7 days. */
  deadMessageTtl?: number;
  /** Fetches out of a million that also run maintenance (it also runs on every heartbeat). Default 1000. */
  maintenanceChance?: number;
}

export type RedisBrokerOptions = BrokerOptions &
  RedisBrokerOwnOptions &
  Omit<RedisOptions, keyof RedisBrokerOwnOptions>;

const OWN = new Set([
  "url",
  "client",
  "namespace",
  "heartbeatTimeout",
  "deadMessageTtl",
  "maintenanceChance",
  "middleware",
]);
const ENQUEUE_CHUNK = 100;
const JOIN_INTERVAL = 50;

function positive(name: string, value: number): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(
      `RedisBroker option ${name} must be a positive number, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * A broker on Redis, in Dramatiq's key layout, so Dramatiq and taskq processes can work the
 * same queues. Every state change is one atomic Lua call; fetches take batches and carry
 * the acks gathered since the last call; idle consumers wake on a pub/sub notice instead of
 * polling (and still poll, every `workerTimeout`, for producers that do not notify).
 */
export class RedisBroker extends Broker implements ConsumerHost {
  readonly client: ScriptClient;
  readonly keys: Keys;
  readonly namespace: string;
  readonly brokerId: string = randomUUID();
  readonly heartbeatTimeout: number;
  readonly deadMessageTtl: number;
  readonly maintenanceChance: number;
  readonly log = lazyLogger("taskq.RedisBroker");
  private readonly ownsClient: boolean;
  private readonly stopWatching: () => void;
  private subscriber: Redis | undefined;
  private subscribed = new Map<string, Promise<unknown>>();
  private readonly consumers = new Map<string, Set<RedisConsumer>>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;
  private everReady = false;
  private closed = false;

  constructor(options: RedisBrokerOptions = {}) {
    super(options.middleware ? { middleware: options.middleware } : {});
    this.namespace = options.namespace ?? "taskq";
    this.heartbeatTimeout = positive("heartbeatTimeout", options.heartbeatTimeout ?? 60_000);
    this.deadMessageTtl = positive(
      "deadMessageTtl",
      options.deadMessageTtl ?? 7 * 24 * 3600 * 1000,
    );
    this.maintenanceChance = options.maintenanceChance ?? 1000;
    if (!(this.maintenanceChance >= 0 && this.maintenanceChance <= 1_000_000)) {
      throw new TypeError(
        `RedisBroker option maintenanceChance must be from 0 to 1 000 000, got ${this.maintenanceChance}`,
      );
    }
    this.keys = new Keys(this.namespace, this.brokerId);
    const connection: Record<string, unknown> = {};
    for (const key of Object.keys(options))
      if (!OWN.has(key)) connection[key] = (options as Record<string, unknown>)[key];
    this.ownsClient = options.client === undefined;
    const client = options.client ?? createClient(options.url, connection as RedisOptions);
    this.client = withScripts(client);
    if (client.status === "ready") this.everReady = true;
    client.on("ready", () => {
      this.everReady = true;
    });
    this.stopWatching = watchConnection(client, this.log, "broker", () => this.onReconnect());
  }

  private onReconnect(): void {
    for (const set of this.consumers.values()) for (const c of set) c.markForReconcile();
    void this.heartbeat();
  }

  /** Wraps a client error in the taskq error that says what failed, and where. */
  private connectionError(err: unknown, doing: string): Error {
    return connectionError("Redis", describeClient(this.client), doing, err, this.everReady);
  }

  private prepareForRedis<R>(message: Message<R>): [Message<R>, string, string | Uint8Array] {
    const id = randomUUID();
    const copy = message.copy({ options: { redis_message_id: id } });
    return [copy, id, copy.encodeForText()];
  }

  protected async doEnqueue<R>(message: Message<R>): Promise<Message<R>> {
    const [copy, id, data] = this.prepareForRedis(message);
    const q = copy.queueName;
    try {
      await this.client.taskqEnqueue(
        this.keys.queue(q),
        this.keys.messages(q),
        this.keys.wake(q),
        id,
        data,
      );
    } catch (err) {
      throw this.connectionError(err, `enqueue message ${message.messageId} on ${q}`);
    }
    return copy;
  }

  /**
   * The batch goes out in chunks, each sent as soon as it is encoded, so Redis stores one
   * while the next is encoded; one Lua call per chunk and queue.
   */
  protected override async doEnqueueMany<R>(
    messages: readonly Message<R>[],
  ): Promise<Message<R>[]> {
    const out: Message<R>[] = [];
    const sent: Promise<number>[] = [];
    const byQueue = new Map<string, (string | Uint8Array)[]>();
    const send = (q: string, pairs: (string | Uint8Array)[]) => {
      const k = this.keys;
      sent.push(this.client.taskqEnqueueBatch(k.queue(q), k.messages(q), k.wake(q), ...pairs));
    };
    for (const message of messages) {
      const [copy, id, data] = this.prepareForRedis(message);
      out.push(copy);
      let pairs = byQueue.get(copy.queueName);
      if (pairs === undefined) {
        pairs = [];
        byQueue.set(copy.queueName, pairs);
      }
      pairs.push(id, data);
      if (pairs.length >= ENQUEUE_CHUNK * 2) {
        send(copy.queueName, pairs);
        byQueue.delete(copy.queueName);
      }
    }
    for (const [q, pairs] of byQueue) send(q, pairs);
    const results = await Promise.allSettled(sent);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw this.connectionError(failed.reason, `enqueue ${messages.length} messages`);
    return out;
  }

  /** The due delayed message moves to its queue in one Lua call. */
  protected override async doPromote(
    consumer: Consumer,
    delayed: MessageProxy,
    target: Message,
  ): Promise<void> {
    const [, id, data] = this.prepareForRedis(target);
    const from = delayed.queueName.endsWith(".DQ") ? delayed.queueName : dqName(delayed.queueName);
    const fromId = (delayed as RedisMessageProxy).redisId;
    const q = target.queueName;
    const k = this.keys;
    await this.client.taskqPromote(
      k.acks(from),
      k.messages(from),
      k.queue(q),
      k.messages(q),
      fromId,
      id,
      data,
      k.wake(q),
    );
    (consumer as RedisConsumer).forget(fromId);
  }

  consume(queueName: string, _options: ConsumeOptions = {}): Consumer {
    if (this.closed) throw new ConnectionClosed("This RedisBroker is closed");
    const consumer = new RedisConsumer(this, queueName);
    let set = this.consumers.get(queueName);
    if (set === undefined) {
      set = new Set();
      this.consumers.set(queueName, set);
    }
    set.add(consumer);
    this.subscribe(consumer.channel);
    this.startHeartbeat();
    return consumer;
  }

  private subscribe(channel: string): void {
    if (this.subscribed.has(channel)) return;
    if (this.subscriber === undefined) {
      const sub = this.client.duplicate();
      this.subscriber = sub;
      watchConnection(sub, this.log, "wake-up", () => {});
      sub.on("message", (ch: string) => {
        const queue = ch.slice(this.keys.wake("").length);
        const set = this.consumers.get(queue);
        if (set !== undefined) for (const c of set) c.wake();
      });
    }
    this.subscribed.set(
      channel,
      this.subscriber.subscribe(channel).catch((err: unknown) => {
        this.subscribed.delete(channel);
        this.log.warn(
          { err },
          `Could not subscribe to ${channel}; idle consumers fall back to polling.`,
        );
      }),
    );
  }

  /** ConsumerHost: wait for a wake-up, the poll interval, or an abort. */
  async waitForWork(
    consumer: RedisConsumer,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    await this.subscribed.get(consumer.channel);
    const parked = consumer.parkUntilWoken();
    if (parked === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => consumer.unpark();
    signal?.addEventListener("abort", onAbort, { once: true });
    timer = setTimeout(() => consumer.unpark(), timeout);
    try {
      await parked;
    } finally {
      clearTimeout(timer);
      timer = undefined;
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** ConsumerHost */
  released(consumer: RedisConsumer): void {
    this.consumers.get(consumer.queueName)?.delete(consumer);
  }

  /** ConsumerHost */
  heldByOther(consumer: RedisConsumer, id: string): boolean {
    for (const c of this.consumers.get(consumer.queueName) ?? [])
      if (c !== consumer && c.holds(id)) return true;
    return false;
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) return;
    void this.heartbeat();
    this.heartbeatTimer = setInterval(
      () => {
        void this.heartbeat().then(() => this.maintain().catch(() => {}));
      },
      Math.max(100, Math.floor(this.heartbeatTimeout / 4)),
    );
    this.heartbeatTimer.unref();
  }

  /** Tell other workers this one is alive. Runs on its own timer, whatever the queues do. */
  async heartbeat(): Promise<void> {
    try {
      await this.client.zadd(this.keys.heartbeats, Date.now(), this.brokerId);
    } catch {
      // The connection watcher reports outages; the next tick tries again.
    }
  }

  /** ConsumerHost */
  maybeMaintain(): void {
    if (this.maintenanceChance > 0 && Math.random() * 1_000_000 < this.maintenanceChance) {
      this.maintain().catch(() => {});
    }
  }

  /**
   * Give back the unacked messages of workers whose heartbeat is older than
   * `heartbeatTimeout`, and drop dead letters older than `deadMessageTtl`.
   */
  maintain(): Promise<void> {
    this.maintaining ??= this.runMaintenance().finally(() => {
      this.maintaining = undefined;
    });
    return this.maintaining;
  }

  private async runMaintenance(): Promise<void> {
    const queues = [...this.queues, ...this.delayQueues];
    try {
      const [returned, expired] = await this.client.taskqMaintenance(
        this.keys.heartbeats,
        this.namespace,
        Date.now(),
        this.heartbeatTimeout,
        this.deadMessageTtl,
        this.brokerId,
        ...queues,
      );
      if (returned > 0) this.log.warn(`Gave back ${returned} message(s) held by dead workers.`);
      if (expired > 0) this.log.info(`Dropped ${expired} expired dead letter(s).`);
    } catch (err) {
      this.log.warn({ err }, "Maintenance failed; it runs again on the next heartbeat.");
      throw err;
    }
  }

  async join(queueName: string, options: JoinOptions = {}): Promise<void> {
    const q = qName(queueName);
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    for (;;) {
      const [[, a], [, b]] = (await this.client
        .pipeline()
        .hlen(this.keys.messages(q))
        .hlen(this.keys.messages(dqName(q)))
        .exec()) as [[null, number], [null, number]];
      if (a + b === 0) return;
      if (deadline !== undefined && Date.now() >= deadline) {
        throw new QueueJoinTimeout(
          `Queue ${q} still had ${a + b} message(s) after ${options.timeout} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, JOIN_INTERVAL));
    }
  }

  async flush(queueName: string): Promise<void> {
    const q = qName(queueName);
    const dq = dqName(q);
    const k = this.keys;
    await this.client.del(
      k.queue(q),
      k.messages(q),
      k.queue(dq),
      k.messages(dq),
      k.dead(q),
      k.deadMessages(q),
      k.acks(q),
      k.acks(dq),
    );
  }

  async getQueueMessageCounts(queueName: string): Promise<QueueMessageCounts> {
    const q = qName(queueName);
    const k = this.keys;
    let replies: [Error | null, number][];
    try {
      replies = (await this.client
        .pipeline()
        .llen(k.queue(q))
        .llen(k.queue(dqName(q)))
        .zcard(k.dead(q))
        .hlen(k.messages(q))
        .exec()) as [Error | null, number][];
    } catch (err) {
      throw this.connectionError(err, `count the messages of ${q}`);
    }
    const failed = replies.find(([err]) => err !== null)?.[0];
    if (failed) throw this.connectionError(failed, `count the messages of ${q}`);
    const [ready, delayed, dead, stored] = replies.map(([, n]) => n) as [
      number,
      number,
      number,
      number,
    ];
    // A message stays in the hash until acked: stored but not waiting means some worker has it.
    return { ready, delayed, dead, inProgress: Math.max(0, stored - ready) };
  }

  override async ping(): Promise<void> {
    try {
      await this.client.ping();
    } catch (err) {
      throw this.connectionError(err, "connect");
    }
  }

  override async getDeadLetters(
    queueName: string,
    options: { limit?: number } = {},
  ): Promise<DeadLetterInfo[]> {
    const q = qName(queueName);
    const ids = await this.client.zrange(this.keys.dead(q), "0", String((options.limit ?? 0) - 1));
    if (ids.length === 0) return [];
    const data = await this.client.hmget(this.keys.deadMessages(q), ...ids);
    return ids.map((id, i) => {
      const text = data[i] ?? "";
      let message: Message | null = null;
      try {
        message = MessageClass.decode(text);
      } catch {
        // Shown raw: it died because it does not decode.
      }
      return { id, message, data: text };
    });
  }

  override requeueDeadLetters(queueName: string): Promise<number> {
    const q = qName(queueName);
    const k = this.keys;
    return this.client.taskqRequeueDead(
      k.dead(q),
      k.deadMessages(q),
      k.queue(q),
      k.messages(q),
      k.wake(q),
    );
  }

  override async purgeDeadLetters(queueName: string): Promise<number> {
    const q = qName(queueName);
    const [[, count]] = (await this.client
      .multi()
      .zcard(this.keys.dead(q))
      .del(this.keys.dead(q), this.keys.deadMessages(q))
      .exec()) as [[null, number]];
    return count;
  }

  /**
   * Stop the heartbeat and close connections this broker opened. When no consumer holds
   * anything, the worker is also struck off the heartbeats; otherwise its heartbeat ages and
   * other workers give back what it held.
   */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const holding = [...this.consumers.values()].some((set) => [...set].some((c) => c.holding));
    if (!holding && this.client.status === "ready") {
      try {
        await this.client
          .pipeline()
          .zrem(this.keys.heartbeats, this.brokerId)
          .del(this.keys.registry)
          .exec();
      } catch {
        // Best effort: maintenance strikes it off later anyway.
      }
    }
    this.subscriber?.disconnect();
    this.stopWatching();
    if (this.ownsClient) this.client.disconnect();
  }
}
