import { randomUUID } from "node:crypto";
import type {
  ConsumeOptions,
  Consumer,
  DataQueue,
  DataQueueOptions,
  DeadLetterInfo,
  DeadLetterListOptions,
  DeadLetterSelection,
  JoinOptions,
  Message,
  MessageProxy,
  PingOptions,
  QueueMessageCounts,
  WorkerInfo,
} from "@taskq/core";
import {
  Broker,
  BrokerError,
  ConnectionClosed,
  dqName,
  lazyLogger,
  optionChecks,
  QueueJoinTimeout,
  qName,
  validateOptions,
} from "@taskq/core";
import { createClient, createClusterClient, execAll, RedisConnection } from "@taskq/redis-common";
import type { DataScriptCommands } from "./data-scripts.js";
import { withDataScripts } from "./data-scripts.js";
import { DeadLetters } from "./dead-letters.js";
import { type Enqueued, enqueueAndWait } from "./enqueue.js";
import { EnqueueBatcher } from "./enqueue-batcher.js";
import { Heartbeat } from "./heartbeat.js";
import { Keys } from "./keys.js";
import { Maintenance } from "./maintenance.js";
import { type RedisBrokerOptions, resolveOptions } from "./options.js";
import { PauseWatch } from "./pause-watch.js";
import type { ConsumerHost } from "./redis-consumer.js";
import { RedisConsumer, type RedisMessageProxy } from "./redis-consumer.js";
import { RedisDataQueue } from "./redis-data-queue.js";
import type { ScriptClient } from "./scripts.js";
import { withScripts } from "./scripts.js";
import { WakeUps } from "./wake-ups.js";
import { listWorkers } from "./workers.js";

const ENQUEUE_CHUNK = 100;
const JOIN_INTERVAL = 50;

/**
 * A broker on Redis, in Dramatiq's key layout, so Dramatiq and taskq processes can work the
 * same queues. Every state change is one atomic Lua call; fetches take batches and carry
 * the acks gathered since the last call; idle consumers wake on a pub/sub notice instead of
 * polling (and still poll, every `workerTimeout`, for producers that do not notify).
 * Through an outage, an operation waits for the connection up to `connectionTimeout` and
 * then fails with a ConnectionError; nothing it sent is sent again.
 */
export class RedisBroker extends Broker {
  /**
   * The ioredis client, a `Redis` or (in cluster mode) a `Cluster`; the broker's scripts are
   * defined on it as commands.
   */
  readonly client: ScriptClient;
  /** @internal */
  readonly keys: Keys;
  /** Prefix of every key the broker writes. */
  readonly namespace: string;
  /**
   * This broker's id in the heartbeat registry: its unacked messages are given back once its
   * heartbeat is older than `heartbeatTimeout`.
   */
  readonly brokerId: string = randomUUID();
  /**
   * A broker whose heartbeat is older than this many ms is dead, and its messages are given back.
   */
  readonly heartbeatTimeout: number;
  /** How long dead letters are kept, ms. */
  readonly deadMessageTtl: number;
  /** Fetches out of a million that also run maintenance. */
  readonly maintenanceChance: number;
  /** How long an operation waits for a (re)connection before it fails, ms. */
  readonly connectionTimeout: number;
  /** Whether the broker uses the Redis Cluster layout (every key of a queue in one slot). */
  readonly clusterMode: boolean;
  /** Replicas that must have a message before `send()` resolves (Redis `WAIT`); 0: none. */
  readonly waitReplicas: number;
  /** The broker's logger, `taskq.RedisBroker`. */
  readonly log = lazyLogger("taskq.RedisBroker");
  private readonly connection: RedisConnection<ScriptClient & DataScriptCommands>;
  private readonly host: ConsumerHost;
  private readonly wakeUps: WakeUps;
  private readonly heartbeats: Heartbeat;
  private readonly maintenance: Maintenance;
  private readonly deadLetters: DeadLetters;
  private readonly batcher: EnqueueBatcher;
  private readonly pauseWatch: PauseWatch;
  private readonly consumers = new Map<string, Set<RedisConsumer>>();
  /** Cluster mode: the queues recorded in this worker's registry (or being recorded). */
  private readonly registered = new Map<string, Promise<void>>();
  private closed = false;

  constructor(options: RedisBrokerOptions = {}) {
    const resolved = resolveOptions(options);
    super(resolved.middleware ? { middleware: resolved.middleware } : {});
    this.namespace = resolved.namespace;
    this.heartbeatTimeout = resolved.heartbeatTimeout;
    this.deadMessageTtl = resolved.deadMessageTtl;
    this.maintenanceChance = resolved.maintenanceChance;
    this.connectionTimeout = resolved.connectionTimeout;
    this.clusterMode = resolved.clusterMode;
    this.waitReplicas = resolved.waitReplicas;
    this.keys = new Keys(this.namespace, this.brokerId, this.clusterMode);
    const client =
      resolved.client ??
      (resolved.cluster
        ? createClusterClient(
            "RedisBroker",
            resolved.cluster.nodes,
            resolved.cluster.options,
            resolved.connection,
          )
        : createClient("RedisBroker", resolved.url, {
            // The broker batches its own commands (one enqueue call per queue and turn, acks
            // riding on fetches); ioredis's auto-pipelining would only add a Pipeline per command.
            enableAutoPipelining: false,
            ...resolved.connection,
          }));
    this.client = withDataScripts(withScripts(client));
    this.connection = new RedisConnection({
      client: withDataScripts(this.client),
      owned: resolved.client === undefined,
      connectionTimeout: this.connectionTimeout,
      what: "broker",
      log: this.log,
      onRestored: () => this.onReconnect(),
    });
    this.wakeUps = new WakeUps(this.connection, this.keys, this.log);
    this.maintenance = new Maintenance(this.connection, this.keys, this.log, {
      heartbeatTimeout: this.heartbeatTimeout,
      deadMessageTtl: this.deadMessageTtl,
      chance: this.maintenanceChance,
      queues: () => [...this.queues, ...this.delayQueues],
    });
    this.heartbeats = new Heartbeat(
      this.connection,
      this.keys,
      Math.max(100, Math.floor(this.heartbeatTimeout / 4)),
      () => void this.maintenance.run().catch(() => {}),
      () => [...this.consumers.keys()],
    );
    this.deadLetters = new DeadLetters(this.connection, this.keys);
    this.batcher = new EnqueueBatcher(
      (q, pairs, what) => this.sendChunk(q, pairs, what),
      ENQUEUE_CHUNK,
    );
    this.pauseWatch = new PauseWatch(this.connection, this.keys, this.log, (names) =>
      this.notePausedQueues(names),
    );
    this.host = {
      connection: this.connection,
      keys: this.keys,
      log: this.log,
      watch: (queueName) => this.wakeUps.watch(queueName),
      maybeMaintain: () => this.maintenance.maybeRun(),
      register: (queueName) => this.register(queueName),
      released: (consumer) => this.consumers.get(consumer.queueName)?.delete(consumer),
      heldByOther: (consumer, id) => {
        for (const c of this.consumers.get(consumer.queueName) ?? [])
          if (c !== consumer && c.holds(id)) return true;
        return false;
      },
    };
  }

  private register(queueName: string): Promise<void> {
    let done = this.registered.get(queueName);
    if (done === undefined) {
      done = this.heartbeats.register([queueName]).catch((err: unknown) => {
        this.registered.delete(queueName);
        throw err;
      });
      this.registered.set(queueName, done);
    }
    return done;
  }

  private onReconnect(): void {
    for (const set of this.consumers.values()) for (const c of set) c.markForReconcile();
    void this.heartbeat();
  }

  private prepareForRedis<R>(message: Message<R>): [Message<R>, string, string | Uint8Array] {
    const id = randomUUID();
    const copy = message.copy({ options: { redis_message_id: id } });
    return [copy, id, copy.encodeForText()];
  }

  /** Stored with the other messages enqueued on its queue in the same turn (one Lua call). */
  protected async doEnqueue<R>(message: Message<R>): Promise<Message<R>> {
    const [copy, id, data] = this.prepareForRedis(message);
    await this.batcher.add(copy.queueName, copy.messageId, id, data);
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
    const sent: Promise<unknown>[] = [];
    let last: Promise<unknown> | undefined;
    for (const message of messages) {
      const [copy, id, data] = this.prepareForRedis(message);
      out.push(copy);
      const done = this.batcher.add(copy.queueName, copy.messageId, id, data);
      // Messages of one chunk share its promise: keep one per chunk.
      if (done !== last) sent.push(done);
      last = done;
    }
    const results = await Promise.allSettled(sent);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    return out;
  }

  /** One chunk, and with `waitReplicas` the wait for that many replicas to have it. */
  private async sendChunk(q: string, pairs: (string | Uint8Array)[], what: () => string) {
    const k = this.keys;
    const n = this.waitReplicas;
    const wait = this.connectionTimeout;
    const done = await this.connection.run(
      what,
      (client) => enqueueAndWait(client, k, q, "0", pairs, n, wait),
      { retry: (client) => enqueueAndWait(client, k, q, "1", pairs, n, wait) },
    );
    this.checkReplicas(
      done,
      pairs.length === 2 ? "the message" : `${pairs.length / 2} messages`,
      q,
    );
  }

  /** A send is done only once `waitReplicas` replicas have it. */
  private checkReplicas(done: Enqueued, what: string, q: string): void {
    if (done.replicas >= this.waitReplicas) return;
    throw new BrokerError(
      `Redis stored ${what} on ${q}, but only ${done.replicas} of the ${this.waitReplicas} replicas ` +
        `(waitReplicas) had them within ${this.connectionTimeout} ms: a failover now could lose them`,
    );
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
    await this.connection.run(
      `move delayed message ${target.messageId} to ${q}`,
      (client) =>
        client.taskqPromote(
          k.acks(from),
          k.messages(from),
          k.queue(q),
          k.messages(q),
          fromId,
          id,
          data,
          k.wake(q),
        ),
      // It moves the message only while this worker holds it: a second run does nothing.
      { idempotent: true },
    );
    (consumer as RedisConsumer).forget(fromId);
  }

  consume(queueName: string, _options: ConsumeOptions = {}): Consumer {
    if (this.closed) throw new ConnectionClosed("This RedisBroker is closed");
    const consumer = new RedisConsumer(this.host, queueName);
    let set = this.consumers.get(queueName);
    if (set === undefined) {
      set = new Set();
      this.consumers.set(queueName, set);
    }
    set.add(consumer);
    this.heartbeats.start();
    return consumer;
  }

  /**
   * A data queue on this broker's Redis (rpqueue's `Data`): batch `get` with leases or 0/1
   * removal, each operation one Lua script; see `DataQueue` in `@taskq/core`.
   */
  override dataQueue<T = unknown>(name: string, options: DataQueueOptions = {}): DataQueue<T> {
    if (this.closed) throw new ConnectionClosed("This RedisBroker is closed");
    return new RedisDataQueue<T>(
      { connection: this.connection, namespace: this.namespace, wakeUps: this.wakeUps },
      name,
      options,
    );
  }

  /** Tell other workers this one is alive. Runs on its own timer, whatever the queues do. */
  heartbeat(): Promise<void> {
    return this.heartbeats.beat();
  }

  /**
   * Give back the unacked messages of workers whose heartbeat is older than
   * `heartbeatTimeout`, and drop every dead letter older than `deadMessageTtl`.
   */
  maintain(): Promise<void> {
    return this.maintenance.run();
  }

  async join(queueName: string, options: JoinOptions = {}): Promise<void> {
    const q = qName(queueName);
    const k = this.keys;
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    for (;;) {
      const [a, b] = (await this.connection.run(
        `count the messages of ${q}`,
        (client) =>
          execAll(
            client
              .pipeline()
              .hlen(k.messages(q))
              .hlen(k.messages(dqName(q))),
          ),
        { idempotent: true },
      )) as [number, number];
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
    await this.connection.run(
      `flush ${q}`,
      (client) =>
        client.del(
          k.queue(q),
          k.messages(q),
          k.queue(dq),
          k.messages(dq),
          k.dead(q),
          k.deadMessages(q),
          k.acks(q),
          k.acks(dq),
        ),
      { idempotent: true },
    );
  }

  async getQueueMessageCounts(queueName: string): Promise<QueueMessageCounts> {
    const q = qName(queueName);
    const k = this.keys;
    const [ready, delayed, dead, stored] = (await this.connection.run(
      `count the messages of ${q}`,
      (client) =>
        execAll(
          client
            .pipeline()
            .llen(k.queue(q))
            .llen(k.queue(dqName(q)))
            .zcard(k.dead(q))
            .hlen(k.messages(q)),
        ),
      { idempotent: true },
    )) as [number, number, number, number];
    // A message stays in the hash until acked: stored but not waiting means some worker has it.
    return { ready, delayed, dead, inProgress: Math.max(0, stored - ready) };
  }

  /**
   * Check that Redis answers: rejects with a ConnectionError naming the address within
   * `timeout` ms (default `connectionTimeout`), whatever the server does.
   */
  override async ping(options: PingOptions = {}): Promise<void> {
    validateOptions("RedisBroker.ping", options, { timeout: optionChecks.positiveNumber });
    await this.connection.ping(options.timeout);
  }

  /** Adds the queue to the set `ns:__paused__` and tells every worker on its channel. */
  override async pauseQueue(queueName: string): Promise<void> {
    await this.setPaused(this.pauseName(queueName), true);
  }

  override async resumeQueue(queueName: string): Promise<void> {
    await this.setPaused(this.pauseName(queueName), false);
  }

  private async setPaused(q: string, paused: boolean): Promise<void> {
    const key = this.keys.paused;
    await this.connection.run(
      `${paused ? "pause" : "resume"} queue ${q}`,
      (client) => {
        const p = client.multi();
        (paused ? p.sadd(key, q) : p.srem(key, q)).publish(key, q);
        return execAll(p);
      },
      { idempotent: true },
    );
  }

  override async pausedQueues(): Promise<string[]> {
    const names = await this.connection.run(
      "read the paused queues",
      (client) => client.smembers(this.keys.paused),
      { idempotent: true },
    );
    return names.sort();
  }

  protected override startPauseWatch(): void {
    if (!this.closed) this.pauseWatch.start();
  }

  protected override stopPauseWatch(): void {
    this.pauseWatch.close();
  }

  override getDeadLetters(
    queueName: string,
    options: DeadLetterListOptions = {},
  ): Promise<DeadLetterInfo[]> {
    return this.deadLetters.list(queueName, options);
  }

  /**
   * With `ids`, the newest DEAD_LETTER_ID_SCAN_LIMIT (100,000) dead letters are searched for
   * them (dead letters are stored under the broker's own ids).
   */
  override requeueDeadLetters(
    queueName: string,
    options: DeadLetterSelection = {},
  ): Promise<number> {
    return this.deadLetters.requeue(queueName, options);
  }

  override purgeDeadLetters(queueName: string, options: DeadLetterSelection = {}): Promise<number> {
    return this.deadLetters.purge(queueName, options);
  }

  /**
   * The workers whose heartbeat is younger than `heartbeatTimeout`, with the queues in their
   * registry (the queues they fetched from), most recently seen first.
   */
  override listWorkers(options: { limit?: number } = {}): Promise<WorkerInfo[]> {
    return listWorkers(this.connection, this.keys, this.heartbeatTimeout, options.limit);
  }

  /**
   * Stop the heartbeat and close connections this broker opened. When no consumer holds
   * anything, the worker is also struck off the heartbeats; otherwise its heartbeat ages and
   * other workers give back what it held.
   */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Messages already sent in this turn go out before the connection closes.
    this.batcher.flush();
    this.heartbeats.stop();
    const holding = [...this.consumers.values()].some((set) => [...set].some((c) => c.holding));
    if (!holding && this.connection.ready) {
      try {
        await this.heartbeats.strikeOff();
      } catch {
        // Best effort: maintenance strikes it off later anyway.
      }
    }
    this.wakeUps.close();
    this.pauseWatch.close();
    this.connection.close();
  }
}
