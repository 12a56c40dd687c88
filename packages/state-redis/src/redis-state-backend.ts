import { randomUUID } from "node:crypto";
import type {
  OptionCheck,
  StateFilter,
  StateListOptions,
  StateRecord,
  StateUpdate,
  StateWatch,
} from "@taskq/core";
import {
  InvalidArgument,
  isFinished,
  lazyLogger,
  optionChecks,
  StateBackend,
  validateOptions,
} from "@taskq/core";
import {
  type AnyRedis,
  connectionOptionChecks,
  createClient,
  DEFAULT_CONNECTION_TIMEOUT,
  ioredisOptions,
  RedisConnection,
} from "@taskq/redis-common";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import { decodeState, encodeField, plain } from "./codec.js";
import { StateKeys } from "./keys.js";
import type { RedisConnectionOptions } from "./options.js";
import type { StateClient } from "./scripts.js";
import { withStateScripts } from "./scripts.js";
import { Subscriptions } from "./subscriptions.js";

/** Options of `new RedisStateBackend(options)` besides ioredis options. */
export interface RedisStateBackendOwnOptions extends RedisConnectionOptions {
  /** Prefix of every key (`<namespace>:__state__:...`). Default `taskq`, the broker's. */
  namespace?: string;
  /**
   * How often this backend removes expired states on its own, ms (writes and listings remove
   * some as they go). Default 60 000; 0 for never.
   */
  cleanupInterval?: number;
}

/** Options of `new RedisStateBackend(options)`: its own, plus ioredis connection options. */
export type RedisStateBackendOptions = RedisStateBackendOwnOptions &
  Omit<RedisOptions, keyof RedisStateBackendOwnOptions>;

const CHECKS = {
  ...connectionOptionChecks,
  cleanupInterval: optionChecks.nonNegativeNumber,
} satisfies Record<string, OptionCheck>;

const OWN = Object.keys(CHECKS);

/** The columns a read gives per state (see read() in common.lua). */
const COLUMNS = 5;

/**
 * Most transitions in one script call: about a worker's fetched batch (half its prefetch of
 * 2 × concurrency 50). Redis runs one script at a time, and short ones let the broker's
 * fetches and acks go in between: with 100 or more, a worker waited on its fetches and
 * processed a quarter fewer messages.
 */
const MAX_BATCH = 50;

/** One `write` call: settled once all of its transitions are sent. */
interface Call {
  updates: readonly StateUpdate[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A transition's TTL as the script takes it. */
function ttlOf(update: StateUpdate): number {
  return Math.max(1, Math.round(update.ttl));
}

/**
 * Whether `next` may be folded into `prev` (same message): applying both in one script is
 * what applying them one after the other does, as long as `prev` is no end (an end stops what
 * follows) and both belong to the same attempt.
 */
function foldable(prev: StateUpdate, next: StateUpdate): boolean {
  if (prev.status !== undefined && isFinished(prev.status)) return false;
  if (ttlOf(prev) !== ttlOf(next)) return false;
  return next.status === undefined || next.retries === prev.retries;
}

function fold(prev: StateUpdate, next: StateUpdate): StateUpdate {
  return {
    messageId: prev.messageId,
    status: next.status ?? prev.status,
    retries: prev.retries,
    changes: { ...prev.changes, ...next.changes },
    initial: prev.initial ?? next.initial,
    ttl: next.ttl,
  };
}

const TIMES = ["startedAt", "endedAt", "eta", "error", "progress"] as const;
const FIXED = new Set<string>(["messageId", "status", "retries"]);

/** The mask bit, then value, of each of the five fields given (see write.lua). */
function fields(source: Record<string, unknown>): [number, string] {
  let mask = 0;
  let values = "";
  for (let k = 0; k < TIMES.length; k++) {
    const field = TIMES[k]!;
    const value = source[field];
    if (value === undefined) continue;
    mask |= 1 << k;
    values += `\0${encodeField(field, value)}`;
  }
  return [mask, values];
}

/** One transition as write.lua reads it: NUL-separated parts in a fixed order. */
function encodeOne(update: StateUpdate, withInitial: boolean): string {
  const c = update.changes as Record<string, unknown>;
  for (const field in c) {
    if (
      c[field] !== undefined &&
      !FIXED.has(field) &&
      !(TIMES as readonly string[]).includes(field)
    ) {
      throw new InvalidArgument(
        `RedisStateBackend records changes to ${TIMES.join(", ")}; a transition cannot change ${field}`,
      );
    }
  }
  const head = `${plain("message id", update.messageId)}\0${update.status ?? ""}\0${update.retries}`;
  const [mask, values] = fields(c);
  // A state given whole is sent at once (a send's pending: the state is new); one given as
  // a function only when the script finds none (a message seen first at its start).
  const given = update.initial;
  if (given === undefined || (!withInitial && typeof given === "function")) {
    return `${head}\0${mask}${values}`;
  }
  const s = typeof given === "function" ? given() : given;
  const [wholeMask, wholeValues] = fields(s as unknown as Record<string, unknown>);
  return (
    `${head}\0${mask | 32}${values}` +
    `\0${plain("actor name", s.actorName)}\0${plain("queue name", s.queueName)}\0${s.priority}` +
    `\0${plain("composition id", s.compositionId ?? "")}\0${JSON.stringify(s.args)}` +
    `\0${JSON.stringify(s.kwargs)}\0${JSON.stringify(s.options)}\0${s.enqueuedAt}` +
    `\0${wholeMask}${wholeValues}`
  );
}

/**
 * The batches to send: each transition folded into the one before it for the same message
 * when it can be (see `foldable`), no message twice in a batch (the script reads each
 * message's state once), one TTL per batch.
 */
function batches(updates: readonly StateUpdate[]): StateUpdate[][] {
  const out: StateUpdate[][] = [];
  let batch: StateUpdate[] = [];
  let at = new Map<string, number>();
  for (const update of updates) {
    const i = at.get(update.messageId);
    if (i !== undefined && foldable(batch[i]!, update)) {
      batch[i] = fold(batch[i]!, update);
      continue;
    }
    if (
      i !== undefined ||
      batch.length >= MAX_BATCH ||
      (batch.length > 0 && ttlOf(batch[0]!) !== ttlOf(update))
    ) {
      out.push(batch);
      batch = [];
      at = new Map();
    }
    at.set(update.messageId, batch.length);
    batch.push(update);
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/**
 * MessageState's states in Redis, under the namespace: a hash per message with the TTL, and
 * sorted sets by enqueue time for listing and counting by status, actor, queue and
 * composition without scanning the keyspace. The writes of one turn of the event loop go in
 * one script call (the worker's starts and ends of a fetched batch, say); each transition is
 * applied only if it moves the state forward. `waitFor` wakes on a pub/sub notice.
 */
export class RedisStateBackend extends StateBackend {
  /** The ioredis client in use (yours when you passed `client`; then `close()` leaves it open). */
  readonly client: Redis | Cluster;
  /** The key prefix (default `taskq`). */
  readonly namespace: string;
  /** How long an operation waits for a (re)connection before it fails, ms. */
  readonly connectionTimeout: number;
  /** @internal The key names, for tests. */
  readonly keys: StateKeys;
  private readonly connection: RedisConnection<AnyRedis>;
  /** "1" on a Redis Cluster: write.lua then publishes every notice (see there). */
  private readonly clusterFlag: "0" | "1";
  private readonly scripts: StateClient;
  private readonly subscriptions: Subscriptions;
  private queue: Call[] = [];
  private cleanupTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(given: RedisStateBackendOptions = {}) {
    super();
    validateOptions("RedisStateBackend", given, CHECKS);
    // Own properties only, as validated: nothing is taken from a prototype.
    const options: RedisStateBackendOptions = { ...given };
    const rest = ioredisOptions("RedisStateBackend", options, OWN);
    this.connectionTimeout = options.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT;
    this.client = options.client ?? createClient("RedisStateBackend", options.url, rest);
    this.connection = new RedisConnection<AnyRedis>({
      client: this.client,
      owned: options.client === undefined,
      connectionTimeout: this.connectionTimeout,
      what: "state backend",
      log: lazyLogger("taskq.RedisStateBackend"),
    });
    this.scripts = withStateScripts(this.client);
    this.namespace = options.namespace ?? "taskq";
    this.keys = new StateKeys(this.namespace, this.client.isCluster);
    this.clusterFlag = this.client.isCluster ? "1" : "0";
    this.subscriptions = new Subscriptions(this.connection, this.keys.changed);
    const interval = options.cleanupInterval ?? 60_000;
    if (interval > 0) {
      this.cleanupTimer = setInterval(() => this.cleanup(), interval);
      this.cleanupTimer.unref();
    }
  }

  /** Remove expired states now (the scripts also do it as they go). */
  private cleanup(): void {
    this.connection
      .run("remove expired message states", () =>
        this.scripts.taskqStateCleanup(this.keys.all, this.keys.prefix, 10_000),
      )
      .catch(() => {
        // Tried again at the next interval; a write or a listing cleans up meanwhile.
      });
  }

  write(updates: readonly StateUpdate[]): Promise<void> {
    if (updates.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ updates, resolve, reject });
      this.schedule();
    });
  }

  /** Send at once when idle; while a call is under way, gather what comes for the next one. */
  private schedule(): void {
    if (this.flushing !== undefined) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
      // Written between the last batch and now.
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const calls = this.queue;
      this.queue = [];
      let error: unknown;
      try {
        const updates = calls.length === 1 ? calls[0]!.updates : calls.flatMap((c) => c.updates);
        for (const batch of batches(updates)) await this.send(batch);
      } catch (err) {
        error = err;
      }
      for (const call of calls) {
        if (error === undefined) call.resolve();
        else call.reject(error);
      }
    }
  }

  private async send(updates: StateUpdate[]): Promise<void> {
    const missing = await this.connection.run(`record ${updates.length} message state(s)`, () =>
      this.scripts.taskqStateWrite(
        this.keys.all,
        this.keys.prefix,
        updates.map((u) => encodeOne(u, false)).join("\x01"),
        ttlOf(updates[0]!),
        this.clusterFlag,
      ),
    );
    const again = missing
      .map((position) => updates[position - 1]!)
      .filter((u) => u.initial !== undefined);
    if (again.length === 0) return;
    await this.connection.run(`record ${again.length} message state(s)`, () =>
      this.scripts.taskqStateWrite(
        this.keys.all,
        this.keys.prefix,
        again.map((u) => encodeOne(u, true)).join("\x01"),
        ttlOf(again[0]!),
        this.clusterFlag,
      ),
    );
  }

  override async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing.catch(() => {});
  }

  async get(messageId: string): Promise<StateRecord | undefined> {
    return (await this.getMany([messageId]))[0];
  }

  override async getMany(messageIds: readonly string[]): Promise<(StateRecord | undefined)[]> {
    if (messageIds.length === 0) return [];
    const columns = await this.connection.run(
      `read ${messageIds.length} message state(s)`,
      () => this.scripts.taskqStateRead(this.keys.all, this.keys.prefix, ...messageIds),
      { idempotent: true },
    );
    return messageIds.map((id, i) =>
      columns[i * COLUMNS] === "" ? undefined : decodeState(id, columns, i * COLUMNS),
    );
  }

  async list(options?: StateListOptions): Promise<StateRecord[]> {
    const { filter, offset, limit } = StateBackend.checkListOptions(options, true);
    const reply = await this.connection.run(
      "list message states",
      () =>
        this.scripts.taskqStateList(
          this.keys.all,
          ...this.filterArgs(filter),
          offset,
          limit,
          randomUUID(),
        ),
      { idempotent: true },
    );
    const out: StateRecord[] = [];
    for (let i = 0; i + COLUMNS < reply.length; i += COLUMNS + 1) {
      out.push(decodeState(reply[i] as string, reply as string[], i + 1));
    }
    return out;
  }

  async count(filter?: StateFilter): Promise<number> {
    const checked = StateBackend.checkListOptions(filter, false).filter;
    return this.connection.run(
      "count message states",
      () => this.scripts.taskqStateCount(this.keys.all, ...this.filterArgs(checked), randomUUID()),
      { idempotent: true },
    );
  }

  /** prefix, status, actor, queue, composition, before: as the scripts take them. */
  private filterArgs(filter: StateFilter): string[] {
    return [
      this.keys.prefix,
      filter.status ?? "",
      filter.actorName ?? "",
      filter.queueName ?? "",
      filter.compositionId ?? "",
      filter.enqueuedBefore === undefined ? "" : String(filter.enqueuedBefore),
    ];
  }

  protected watch(messageId: string): Promise<StateWatch> {
    return this.subscriptions.watch(messageId);
  }

  /** Send what is pending, then close the connections this backend opened. */
  override async close(): Promise<void> {
    if (this.cleanupTimer !== undefined) clearInterval(this.cleanupTimer);
    await this.flush();
    this.subscriptions.close();
    this.connection.close();
  }
}
