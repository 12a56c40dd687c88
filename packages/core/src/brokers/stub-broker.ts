import type {
  BrokerOptions,
  DeadLetterInfo,
  DeadLetterListOptions,
  DeadLetterSelection,
  JoinOptions,
  QueueMessageCounts,
} from "../broker.js";
import { Broker } from "../broker.js";
import type { ConsumeOptions, Consumer, FetchOptions } from "../consumer.js";
import type { DataQueue, DataQueueOptions } from "../data-queue.js";
import { deadLetterPaging, selectedDeadLetterIds } from "../dead-letters.js";
import { describeError } from "../error-text.js";
import { DecodeError, QueueJoinTimeout, QueueNotFound } from "../errors.js";
import { lazyLogger } from "../logger.js";
import { Message } from "../message.js";
import { MessageProxy } from "../message-proxy.js";
import { dqName, qName } from "../queue-names.js";
import { renderBounded } from "../render.js";
import { Fifo } from "../worker/fifo.js";
import { StubDataQueue, StubDataStore } from "./stub-data-queue.js";

const log = lazyLogger("taskq.StubBroker");

/** A dead-lettered message of the stub broker. */
export interface DeadLetter {
  /** The queue the message died on. */
  queueName: string;
  /** The bytes as they were on the queue. */
  data: Uint8Array;
  /**
   * The message as it was dead-lettered, its `traceback` option saying why; null when the
   * bytes were undecodable.
   */
  message: Message | null;
  /**
   * Why it died: the actor's last error, a SkipMessage (age limit), the error of a hand-off
   * that could not be enqueued, or the DecodeError.
   */
  exception: unknown;
  /** When it was dead-lettered (ms since the epoch). */
  failedAt?: number;
}

class StubQueue {
  readonly items = new Fifo<Uint8Array>();
  /** Enqueued and not yet acked or nacked. */
  unfinished = 0;
  readonly waiters = new Set<() => void>();

  push(data: Uint8Array, front = false): void {
    if (front) this.items.unshift(data);
    else this.items.push(data);
    for (const wake of this.waiters) wake();
  }
}

class StubProxy extends MessageProxy {
  readonly data: Uint8Array;
  constructor(message: Message, data: Uint8Array) {
    super(message);
    this.data = data;
  }
}

/** Options of `new StubBroker()`. */
export interface StubBrokerOptions extends BrokerOptions {
  /** Default of `join`'s failFast. Default true. */
  failFastDefault?: boolean;
}

/** Options of `StubBroker.join`. */
export interface StubJoinOptions extends JoinOptions {
  /** Re-throw the error of a message that was dead-lettered. Default: the broker's failFastDefault (true). */
  failFast?: boolean;
}

/**
 * An in-memory broker for tests: messages are encoded and decoded as on a real broker, so
 * what cannot travel fails here too. `join` waits for a queue to drain and, with
 * `failFast`, re-throws the error of a message that died.
 */
export class StubBroker extends Broker {
  /** Whether `join` re-throws a dead-lettered message's error when not told otherwise. */
  readonly failFastDefault: boolean;
  private readonly stubQueues = new Map<string, StubQueue>();
  private readonly dead: DeadLetter[] = [];
  private readonly reported = new WeakSet<DeadLetter>();
  private readonly joinWaiters = new Set<() => void>();
  private readonly dataStores = new Map<string, StubDataStore>();
  private readonly paused = new Set<string>();

  constructor(options: StubBrokerOptions = {}) {
    super(options);
    this.failFastDefault = options.failFastDefault ?? true;
  }

  /** An in-memory data queue, shared by every handle of this name on this broker. */
  override dataQueue<T = unknown>(name: string, options: DataQueueOptions = {}): DataQueue<T> {
    const store = this.dataStores.get(name) ?? new StubDataStore();
    // The constructor checks the name and options before the store is kept.
    const queue = new StubDataQueue<T>(store, name, options);
    this.dataStores.set(name, store);
    return queue;
  }

  /** Every dead letter, oldest first. */
  get deadLetters(): readonly DeadLetter[] {
    return this.dead;
  }

  /** Pauses are kept in memory and reach this broker's workers at once. */
  override async pauseQueue(queueName: string): Promise<void> {
    this.paused.add(this.pauseName(queueName));
    this.notePausedQueues(this.paused);
  }

  override async resumeQueue(queueName: string): Promise<void> {
    this.paused.delete(this.pauseName(queueName));
    this.notePausedQueues(this.paused);
  }

  override async pausedQueues(): Promise<string[]> {
    return [...this.paused].sort();
  }

  protected override startPauseWatch(): void {
    this.notePausedQueues(this.paused);
  }

  protected override onQueueDeclared(queueName: string): void {
    if (!this.stubQueues.has(queueName)) this.stubQueues.set(queueName, new StubQueue());
  }

  private queue(name: string): StubQueue {
    const q = this.stubQueues.get(name);
    if (q === undefined)
      throw new QueueNotFound(`Queue ${renderBounded(name, 200)} is not declared on this broker`);
    return q;
  }

  protected async doEnqueue<R>(message: Message<R>): Promise<Message<R>> {
    const q = this.queue(message.queueName);
    const data = message.encode();
    q.unfinished++;
    q.push(data);
    return message;
  }

  /**
   * Put raw bytes on a queue, as a foreign producer might: for testing what the worker
   * does with malformed messages.
   */
  enqueueBytes(queueName: string, data: Uint8Array | string): void {
    const q = this.queue(queueName);
    q.unfinished++;
    q.push(typeof data === "string" ? Buffer.from(data) : data);
  }

  consume(queueName: string, _options: ConsumeOptions = {}): Consumer {
    const q = this.queue(queueName);
    return new StubConsumer(queueName, q, {
      finish: () => this.finish(q),
      bury: (letter) => {
        this.dead.push({ ...letter, failedAt: letter.failedAt ?? Date.now() });
        this.finish(q);
      },
    });
  }

  /** A message left its queue for good (acked or dead). */
  private finish(q: StubQueue): void {
    q.unfinished--;
    if (q.unfinished === 0) for (const wake of this.joinWaiters) wake();
  }

  async join(queueName: string, options: StubJoinOptions = {}): Promise<void> {
    const q = this.queue(qName(queueName));
    const dq = this.queue(dqName(qName(queueName)));
    const failFast = options.failFast ?? this.failFastDefault;
    const { timeout } = options;
    const drained = () => q.unfinished === 0 && dq.unfinished === 0;
    if (!drained()) {
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const check = () => {
          if (!drained()) return;
          this.joinWaiters.delete(check);
          if (timer) clearTimeout(timer);
          resolve();
        };
        if (timeout !== undefined) {
          timer = setTimeout(() => {
            this.joinWaiters.delete(check);
            reject(new QueueJoinTimeout(`Queue ${queueName} was not drained within ${timeout} ms`));
          }, timeout);
        }
        this.joinWaiters.add(check);
      });
    }
    if (failFast) {
      const base = qName(queueName);
      for (const letter of this.dead) {
        if (qName(letter.queueName) !== base || this.reported.has(letter)) continue;
        this.reported.add(letter);
        if (letter.exception !== undefined) throw letter.exception;
      }
    }
  }

  async flush(queueName: string): Promise<void> {
    const base = qName(queueName);
    for (const name of [base, dqName(base)]) {
      const q = this.stubQueues.get(name);
      if (q === undefined) continue;
      const dropped = q.items.drain().length;
      q.unfinished -= dropped;
      if (q.unfinished === 0) for (const wake of this.joinWaiters) wake();
    }
    for (let i = this.dead.length - 1; i >= 0; i--) {
      if (qName(this.dead[i]!.queueName) === base) this.dead.splice(i, 1);
    }
  }

  override async flushAll(): Promise<void> {
    await super.flushAll();
    this.dead.length = 0;
  }

  async getQueueMessageCounts(queueName: string): Promise<QueueMessageCounts> {
    const base = qName(queueName);
    return {
      ready: this.queue(base).items.size,
      delayed: this.queue(dqName(base)).items.size,
      dead: this.dead.filter((d) => qName(d.queueName) === base).length,
    };
  }

  override async getDeadLetters(
    queueName: string,
    options: DeadLetterListOptions = {},
  ): Promise<DeadLetterInfo[]> {
    const { offset, limit, newestFirst } = deadLetterPaging("getDeadLetters", options);
    const base = qName(queueName);
    const mine = this.dead.filter((d) => qName(d.queueName) === base);
    if (newestFirst) mine.reverse();
    return mine.slice(offset, offset + limit).map((d) => {
      const info: DeadLetterInfo = {
        id: d.message?.messageId ?? String(this.dead.indexOf(d)),
        message: d.message,
        data: Buffer.from(d.data).toString("utf8"),
      };
      if (d.failedAt !== undefined) info.failedAt = d.failedAt;
      return info;
    });
  }

  override async requeueDeadLetters(
    queueName: string,
    options: DeadLetterSelection = {},
  ): Promise<number> {
    const ids = selectedDeadLetterIds("requeueDeadLetters", options);
    const base = qName(queueName);
    const q = this.queue(base);
    let moved = 0;
    for (let i = 0; i < this.dead.length; ) {
      const letter = this.dead[i]!;
      if (
        qName(letter.queueName) !== base ||
        letter.message === null ||
        (ids !== undefined && !ids.has(letter.message.messageId))
      ) {
        i++;
        continue;
      }
      this.dead.splice(i, 1);
      q.unfinished++;
      q.push(letter.message.copy({ queueName: base }).encode());
      moved++;
    }
    return moved;
  }

  override async purgeDeadLetters(
    queueName: string,
    options: DeadLetterSelection = {},
  ): Promise<number> {
    const ids = selectedDeadLetterIds("purgeDeadLetters", options);
    const base = qName(queueName);
    const before = this.dead.length;
    for (let i = this.dead.length - 1; i >= 0; i--) {
      const letter = this.dead[i]!;
      if (qName(letter.queueName) !== base) continue;
      if (ids !== undefined && (letter.message === null || !ids.has(letter.message.messageId)))
        continue;
      this.dead.splice(i, 1);
    }
    return before - this.dead.length;
  }

  /** Messages waiting on a queue (not yet fetched). */
  queueSize(queueName: string): number {
    return this.queue(queueName).items.size;
  }
}

interface StubLedger {
  finish(): void;
  bury(letter: DeadLetter): void;
}

class StubConsumer implements Consumer {
  readonly queueName: string;
  private readonly q: StubQueue;
  private readonly ledger: StubLedger;
  private readonly unacked = new Set<StubProxy>();
  private closed = false;

  constructor(queueName: string, q: StubQueue, ledger: StubLedger) {
    this.queueName = queueName;
    this.q = q;
    this.ledger = ledger;
  }

  fetch(max: number, options: FetchOptions): Promise<MessageProxy[]> {
    if (this.closed) return Promise.resolve([]);
    if (this.q.items.size > 0) return Promise.resolve(this.take(max));
    const { signal, timeout } = options;
    if (signal?.aborted) return Promise.resolve([]);
    return new Promise((resolve) => {
      const done = (take: boolean) => {
        clearTimeout(timer);
        this.q.waiters.delete(onItem);
        signal?.removeEventListener("abort", onAbort);
        resolve(take ? this.take(max) : []);
      };
      const onItem = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), timeout);
      this.q.waiters.add(onItem);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private take(max: number): MessageProxy[] {
    const out: MessageProxy[] = [];
    while (out.length < max && !this.closed) {
      const data = this.q.items.shift();
      if (data === undefined) break;
      let message: Message;
      try {
        message = Message.decode(data);
      } catch (err) {
        log.error(
          { err },
          `Undecodable message on queue ${this.queueName}; moving it to the dead letters.`,
        );
        const exception =
          err instanceof DecodeError ? err : new DecodeError(describeError(err).message, data, err);
        this.ledger.bury({ queueName: this.queueName, data, message: null, exception });
        continue;
      }
      const proxy = new StubProxy(message, data);
      this.unacked.add(proxy);
      out.push(proxy);
    }
    return out;
  }

  private own(message: MessageProxy, op: string): StubProxy | undefined {
    const proxy = message as StubProxy;
    if (this.unacked.delete(proxy)) return proxy;
    if (!this.closed)
      log.warn(
        `${op} of message ${message.messageId}, which this consumer does not hold; ignored.`,
      );
    return undefined;
  }

  ack(message: MessageProxy): void {
    if (this.own(message, "ack") !== undefined) this.ledger.finish();
  }

  nack(message: MessageProxy): void {
    const proxy = this.own(message, "nack");
    if (proxy === undefined) return;
    this.ledger.bury({
      queueName: this.queueName,
      data: proxy.data,
      message: proxy.message,
      exception: proxy.exception,
    });
  }

  async requeue(messages: readonly MessageProxy[]): Promise<void> {
    // Back to the front, last first, so they come out again in their original order.
    for (let i = messages.length - 1; i >= 0; i--) {
      const proxy = this.own(messages[i]!, "requeue");
      if (proxy !== undefined) this.q.push(proxy.data, true);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const left = [...this.unacked];
    await this.requeue(left);
    this.closed = true;
  }
}
