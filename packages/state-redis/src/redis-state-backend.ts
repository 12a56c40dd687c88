import { randomUUID } from "node:crypto";
import type {
  StateFilter,
  StateListOptions,
  StateRecord,
  StateUpdate,
  StateWatch,
} from "@taskq/core";
import { optionChecks, StateBackend, validateOptions } from "@taskq/core";
import type { Redis, RedisOptions } from "ioredis";
import { decodeState, encodeFields, pairs } from "./codec.js";
import type { RedisConnectionOptions } from "./connection.js";
import { Connection } from "./connection.js";
import { StateKeys } from "./keys.js";
import type { StateClient } from "./scripts.js";
import { withStateScripts } from "./scripts.js";
import { Subscriptions } from "./subscriptions.js";

export interface RedisStateBackendOwnOptions extends RedisConnectionOptions {
  /** Prefix of every key (`<namespace>:__state__:...`). Default `taskq`, the broker's. */
  namespace?: string;
}

export type RedisStateBackendOptions = RedisStateBackendOwnOptions &
  Omit<RedisOptions, keyof RedisStateBackendOwnOptions>;

/** Most transitions in one script call. */
const MAX_BATCH = 500;

/** One `write` call: settled once all of its transitions are sent. */
interface Call {
  left: number;
  error: unknown;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Pending {
  update: StateUpdate;
  call: Call;
}

interface Encoded {
  i: string;
  s: string;
  r: number;
  t: number;
  c: Record<string, string | false>;
  n?: Record<string, string | false>;
}

function encode(update: StateUpdate, withInitial: boolean): Encoded {
  const out: Encoded = {
    i: update.messageId,
    s: update.status ?? "",
    r: update.retries,
    t: Math.max(1, Math.round(update.ttl)),
    c: encodeFields(update.changes),
  };
  // A state given whole is sent at once (a send's pending: the state is new); one given as
  // a function only when the script finds none (a message seen first at its start).
  const initial = update.initial;
  if (initial !== undefined && (withInitial || typeof initial !== "function")) {
    out.n = encodeFields(typeof initial === "function" ? initial() : initial);
  }
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
  readonly client: Redis;
  readonly namespace: string;
  readonly keys: StateKeys;
  private readonly connection: Connection;
  private readonly scripts: StateClient;
  private readonly subscriptions: Subscriptions;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  constructor(options: RedisStateBackendOptions = {}) {
    super();
    validateOptions("RedisStateBackend", options, { namespace: optionChecks.nonEmptyString });
    this.connection = new Connection("RedisStateBackend", options as Record<string, unknown>, [
      "namespace",
    ]);
    this.client = this.connection.client;
    this.scripts = withStateScripts(this.client);
    this.namespace = options.namespace ?? "taskq";
    this.keys = new StateKeys(this.namespace);
    this.subscriptions = new Subscriptions(this.connection);
  }

  write(updates: readonly StateUpdate[]): Promise<void> {
    if (updates.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const call: Call = { left: updates.length, error: undefined, resolve, reject };
      for (const update of updates) this.queue.push({ update, call });
      this.schedule();
    });
  }

  /** Gather this turn's writes, then send them; one call at a time, the next batch meanwhile. */
  private schedule(): void {
    if (this.scheduled || this.flushing !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.drain().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      let error: unknown;
      try {
        await this.send(batch.map((p) => p.update));
      } catch (err) {
        error = err;
      }
      for (const { call } of batch) {
        if (error !== undefined) call.error ??= error;
        if (--call.left > 0) continue;
        if (call.error === undefined) call.resolve();
        else call.reject(call.error);
      }
    }
  }

  private async send(updates: StateUpdate[]): Promise<void> {
    let missing: number[];
    try {
      missing = await this.scripts.taskqStateWrite(
        this.keys.all,
        this.keys.prefix,
        JSON.stringify(updates.map((u) => encode(u, false))),
      );
    } catch (err) {
      throw this.connection.failed(err, `record ${updates.length} message state(s)`);
    }
    const again = missing
      .map((position) => updates[position - 1]!)
      .filter((u) => u.initial !== undefined);
    if (again.length === 0) return;
    try {
      await this.scripts.taskqStateWrite(
        this.keys.all,
        this.keys.prefix,
        JSON.stringify(again.map((u) => encode(u, true))),
      );
    } catch (err) {
      throw this.connection.failed(err, `record ${again.length} message state(s)`);
    }
  }

  override async flush(): Promise<void> {
    while (this.flushing !== undefined || this.scheduled || this.queue.length > 0) {
      if (this.flushing !== undefined) await this.flushing.catch(() => {});
      else await new Promise((r) => setImmediate(r));
    }
  }

  async get(messageId: string): Promise<StateRecord | undefined> {
    let hash: Record<string, string>;
    try {
      hash = await this.client.hgetall(this.keys.record(messageId));
    } catch (err) {
      throw this.connection.failed(err, `read the state of message ${messageId}`);
    }
    return Object.keys(hash).length === 0 ? undefined : decodeState(messageId, hash);
  }

  override async getMany(messageIds: readonly string[]): Promise<(StateRecord | undefined)[]> {
    if (messageIds.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of messageIds) pipeline.hgetall(this.keys.record(id));
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
    } catch (err) {
      throw this.connection.failed(err, `read ${messageIds.length} message states`);
    }
    return messageIds.map((id, i) => {
      const [error, hash] = replies?.[i] ?? [new Error("no reply"), undefined];
      if (error) throw this.connection.failed(error, `read the state of message ${id}`);
      const fields = hash as Record<string, string>;
      return Object.keys(fields).length === 0 ? undefined : decodeState(id, fields);
    });
  }

  async list(options?: StateListOptions): Promise<StateRecord[]> {
    const { filter, offset, limit } = StateBackend.checkListOptions(options, true);
    let reply: (string | string[])[];
    try {
      reply = await this.scripts.taskqStateList(
        this.keys.all,
        ...this.filterArgs(filter),
        offset,
        limit,
        randomUUID(),
      );
    } catch (err) {
      throw this.connection.failed(err, "list message states");
    }
    const out: StateRecord[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      out.push(decodeState(reply[i] as string, pairs(reply[i + 1] as string[])));
    }
    return out;
  }

  async count(filter?: StateFilter): Promise<number> {
    const checked = StateBackend.checkListOptions(filter, false).filter;
    try {
      return await this.scripts.taskqStateCount(
        this.keys.all,
        ...this.filterArgs(checked),
        randomUUID(),
      );
    } catch (err) {
      throw this.connection.failed(err, "count message states");
    }
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
    return this.subscriptions.watch(this.keys.changed(messageId));
  }

  /** Send what is pending, then close the connections this backend opened. */
  override async close(): Promise<void> {
    await this.flush();
    this.subscriptions.close();
    this.connection.close();
  }
}
