import type { Consumer, FetchOptions, Logger } from "@taskq/core";
import { Message, MessageProxy, renderBounded } from "@taskq/core";
import type { RedisConnection } from "@taskq/redis-common";
import type { Keys } from "./keys.js";
import type { ScriptClient } from "./scripts.js";
import type { Waker } from "./wake-ups.js";

/** A message fetched from Redis, with the id it has in the queue's list. */
export class RedisMessageProxy extends MessageProxy {
  /** @internal */
  readonly redisId: string;
  constructor(message: Message, redisId: string) {
    super(message);
    this.redisId = redisId;
  }
}

/** What a consumer needs from its broker. */
export interface ConsumerHost {
  readonly connection: RedisConnection<ScriptClient>;
  readonly keys: Keys;
  readonly log: Logger;
  /** A waker for the consumer, woken when work arrives on its queue. */
  watch(queueName: string): Waker;
  /**
   * Cluster mode: resolves once the queue is in this worker's registry (the fetch script
   * cannot add it there, the registry being in another slot).
   */
  register(queueName: string): Promise<void>;
  /** Chance-based maintenance, on the fetch path as Dramatiq does. */
  maybeMaintain(): void;
  released(consumer: RedisConsumer): void;
  /** Whether another consumer of the same queue on this broker holds `id`. */
  heldByOther(consumer: RedisConsumer, id: string): boolean;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const ACK_RETRY_MAX = 5000;
/** Characters of an undecodable message's data shown in its log line. */
const UNDECODABLE_SHOWN = 200;
/** Most ids in one Lua call: Lua's unpack has a stack limit of about 8000. */
const MAX_BATCH = 1000;

/**
 * One queue, for one broker. Fetching takes a batch in one Lua call and settles the acks
 * gathered since the last call in the same call; acks made between fetches go out together
 * on the next turn of the event loop, and are retried until Redis takes them.
 */
export class RedisConsumer implements Consumer {
  readonly queueName: string;
  private readonly host: ConsumerHost;
  private readonly queueKey: string;
  private readonly messagesKey: string;
  private readonly acksKey: string;
  private readonly channel: string;
  private readonly waker: Waker;
  private readonly doingFetch: string;
  /** Ids fetched and not yet settled. */
  readonly inflight = new Set<string>();
  private pendingIds: string[] = [];
  private pendingDone: Deferred[] = [];
  private current: Deferred | undefined;
  private flushTimer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private ackFailures = 0;
  private reconcileNeeded = false;
  private fetching = false;
  private closed = false;
  /** The wake-up subscription is in place: notices published from then on are kept. */
  private listening = false;

  constructor(host: ConsumerHost, queueName: string) {
    this.host = host;
    this.queueName = queueName;
    const { keys } = host;
    this.queueKey = keys.queue(queueName);
    this.messagesKey = keys.messages(queueName);
    this.acksKey = keys.acks(queueName);
    this.channel = keys.wake(queueName);
    this.waker = host.watch(queueName);
    this.doingFetch = `fetch messages from ${queueName}`;
  }

  /** Broker: the connection came back; replies may have been lost with it. */
  markForReconcile(): void {
    this.reconcileNeeded = true;
  }

  async fetch(max: number, options: FetchOptions): Promise<MessageProxy[]> {
    if (this.closed) return [];
    if (!this.listening) {
      // A notice published before the subscription is in place reaches nobody: looking at
      // the queue only after it is, a message enqueued in between is seen by this fetch
      // instead of waiting for the next poll (workerTimeout).
      await this.waker.ready();
      this.listening = true;
    }
    const batch = await this.fetchOnce(max, options.signal);
    if (batch.length > 0 || options.signal?.aborted) return batch;
    await this.waker.wait(options.timeout, options.signal);
    if (options.signal?.aborted || this.closed) return [];
    return this.fetchOnce(max, options.signal);
  }

  private async fetchOnce(max: number, signal: AbortSignal | undefined): Promise<MessageProxy[]> {
    if (this.reconcileNeeded) await this.reconcile();
    const { connection, keys } = this.host;
    if (keys.cluster) {
      try {
        await this.host.register(this.queueName);
      } catch (err) {
        if (signal?.aborted) return [];
        throw err;
      }
    }
    this.waker.clear();
    this.host.maybeMaintain();
    const [ids, done] = this.takePending();
    const want = Math.min(max, MAX_BATCH);
    let reply: string[];
    this.fetching = true;
    try {
      reply = await connection.run(
        this.doingFetch,
        (client) =>
          keys.cluster
            ? client.taskqFetchTagged(
                this.queueKey,
                this.messagesKey,
                this.acksKey,
                this.queueName,
                want,
                ...ids,
              )
            : client.taskqFetch(
                this.queueKey,
                this.messagesKey,
                this.acksKey,
                keys.registry,
                this.queueName,
                want,
                ...ids,
              ),
        { signal },
      );
    } catch (err) {
      this.putBack(ids, done);
      // The script may have run and its reply been lost (a connection cut, a master killed
      // and its replica promoted: a Cluster client never reports "ready" again for that).
      // The next fetch first gives back what the acks set holds that nobody here knows of.
      this.reconcileNeeded = true;
      // Stopping while waiting for the connection is not a failure.
      if (signal?.aborted) return [];
      throw err;
    } finally {
      this.fetching = false;
    }
    for (const d of done) d.resolve();
    const out: MessageProxy[] = [];
    let undecodable: string[] | undefined;
    for (let i = 0; i < reply.length; i += 2) {
      const id = reply[i]!;
      const data = reply[i + 1]!;
      let message: Message;
      try {
        message = Message.decode(data);
      } catch (err) {
        this.host.log.error(
          { err },
          `Undecodable message ${id} on queue ${this.queueName} (${renderBounded(data, UNDECODABLE_SHOWN)}); moving it to the dead letters.`,
        );
        undecodable ??= [];
        undecodable.push(id);
        continue;
      }
      this.inflight.add(id);
      out.push(new RedisMessageProxy(message, id));
    }
    if (undecodable !== undefined) await this.deadLetter(undecodable.map((id) => [id, ""]));
    return out;
  }

  /**
   * The acks to send now: all of them, or the first MAX_BATCH when there are more (the rest,
   * still pending, go with the next call).
   */
  private takePending(): [string[], Deferred[]] {
    if (this.pendingIds.length <= MAX_BATCH) {
      const taken: [string[], Deferred[]] = [this.pendingIds, this.pendingDone];
      this.pendingIds = [];
      this.pendingDone = [];
      this.current = undefined;
      return taken;
    }
    // The deferreds resolve with the last batch: they cover every id gathered with them.
    const ids = this.pendingIds.slice(0, MAX_BATCH);
    this.pendingIds = this.pendingIds.slice(MAX_BATCH);
    this.scheduleFlush();
    return [ids, []];
  }

  private putBack(ids: string[], done: Deferred[]): void {
    if (ids.length === 0) return;
    this.pendingIds = ids.concat(this.pendingIds);
    this.pendingDone = done.concat(this.pendingDone);
    this.scheduleFlush();
  }

  ack(message: MessageProxy): Promise<void> {
    const id = (message as RedisMessageProxy).redisId;
    this.inflight.delete(id);
    this.pendingIds.push(id);
    if (this.current === undefined) {
      this.current = deferred();
      this.pendingDone.push(this.current);
    }
    this.scheduleFlush();
    return this.current.promise;
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    const delay =
      this.ackFailures === 0 ? 0 : Math.min(100 * 2 ** (this.ackFailures - 1), ACK_RETRY_MAX);
    this.flushTimer =
      delay === 0 ? setImmediate(() => this.flush()) : setTimeout(() => this.flush(), delay);
  }

  /** Send the acks gathered so far (also what `close` waits on). */
  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const [ids, done] = this.takePending();
    if (ids.length === 0) return;
    try {
      await this.host.connection.run(
        `ack ${ids.length} message(s) on ${this.queueName}`,
        (client) => client.taskqAck(this.acksKey, this.messagesKey, ...ids),
      );
      this.ackFailures = 0;
      for (const d of done) d.resolve();
    } catch (err) {
      this.ackFailures++;
      if (this.ackFailures === 1) {
        this.host.log.warn(
          { err },
          `Could not ack ${ids.length} message(s) on ${this.queueName}; retrying until Redis takes them.`,
        );
      }
      this.putBack(ids, done);
    }
  }

  async nack(message: MessageProxy): Promise<void> {
    const id = (message as RedisMessageProxy).redisId;
    this.inflight.delete(id);
    // Stored as it is now, so the dead letter carries why it failed (its traceback option).
    let data: Buffer | string = "";
    try {
      data = Buffer.from(message.message.encode());
    } catch {
      // Not encodable as it is now: keep the bytes fetched.
    }
    await this.deadLetter([[id, data]]);
  }

  /** Move `[id, data]` pairs to the dead letters; data "" keeps the bytes stored at fetch. */
  private async deadLetter(entries: [string, Buffer | string][]): Promise<void> {
    const ids = entries.map(([id]) => id);
    const { connection, keys } = this.host;
    const now = Date.now();
    await connection.run(
      `move ${ids.length} message(s) of ${this.queueName} to the dead letters`,
      (client) =>
        client.taskqNack(
          this.acksKey,
          this.messagesKey,
          keys.dead(this.queueName),
          keys.deadMessages(this.queueName),
          now,
          ...entries.flat(),
        ),
      // Moves only what this worker still holds: a second run does nothing.
      { idempotent: true },
    );
  }

  async requeue(messages: readonly MessageProxy[]): Promise<void> {
    const ids = messages.map((m) => (m as RedisMessageProxy).redisId);
    for (const id of ids) this.inflight.delete(id);
    await this.giveBack(ids);
  }

  /** Back to the front of the queue, if this broker still holds them. */
  private async giveBack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.host.connection.run(
      `give back ${ids.length} message(s) of ${this.queueName}`,
      (client) =>
        client.taskqRequeue(this.acksKey, this.messagesKey, this.queueKey, this.channel, ...ids),
      // Gives back only what this worker still holds: a second run does nothing.
      { idempotent: true },
    );
  }

  /** A due delayed message was moved to its queue by the broker. */
  forget(redisId: string): void {
    this.inflight.delete(redisId);
  }

  /**
   * After a reconnect: ids in this broker's acks set that no consumer knows of were fetched
   * by a call whose reply was lost. Give them back, or they would sit there until restart.
   */
  private async reconcile(): Promise<void> {
    this.reconcileNeeded = false;
    const { connection, log } = this.host;
    const held = await connection.run(
      `read the messages held on ${this.queueName}`,
      (client) => client.smembers(this.acksKey),
      { idempotent: true },
    );
    const lost = held.filter((id) => !this.holds(id) && !this.host.heldByOther(this, id));
    if (lost.length === 0) return;
    log.warn(
      `Giving back ${lost.length} message(s) of ${this.queueName} whose fetch reply was lost with the connection.`,
    );
    await this.giveBack(lost);
  }

  /** Whether this consumer fetched `id` and has not sent its settlement yet. */
  holds(id: string): boolean {
    return this.inflight.has(id) || this.pendingIds.includes(id);
  }

  /** Whether the consumer holds anything in Redis (unsettled fetched messages or unsent acks). */
  get holding(): boolean {
    return this.inflight.size > 0 || this.pendingIds.length > 0 || this.fetching;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waker.close();
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer as NodeJS.Timeout);
      clearImmediate(this.flushTimer as NodeJS.Immediate);
      this.flushTimer = undefined;
    }
    try {
      await this.flush();
      const ids = [...this.inflight];
      this.inflight.clear();
      await this.giveBack(ids);
    } finally {
      this.host.released(this);
    }
  }
}
