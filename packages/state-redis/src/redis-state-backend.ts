import { randomUUID } from "node:crypto";
import type {
  StateFilter,
  StateListOptions,
  StateRecord,
  StateUpdate,
  StateWatch,
} from "@taskq/core";
import { isFinished, optionChecks, StateBackend, validateOptions } from "@taskq/core";
import type { Redis, RedisOptions } from "ioredis";
import { decodeState, encodeField, pairs } from "./codec.js";
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

/**
 * Whether `next` may be folded into `prev` (same message): applying both in one script is
 * what applying them one after the other does, as long as `prev` is no end (an end stops what
 * follows) and both belong to the same attempt.
 */
function foldable(prev: StateUpdate, next: StateUpdate): boolean {
  if (prev.status !== undefined && isFinished(prev.status)) return false;
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

/**
 * The writes of a batch with each message's successive transitions folded into one (a start
 * and an end in the same turn — a fast actor's — cost one transition in Redis).
 */
function coalesce(updates: readonly StateUpdate[]): StateUpdate[] {
  const out: StateUpdate[] = [];
  const last = new Map<string, number>();
  for (const update of updates) {
    const at = last.get(update.messageId);
    if (at !== undefined && foldable(out[at]!, update)) {
      out[at] = fold(out[at]!, update);
    } else {
      last.set(update.messageId, out.length);
      out.push(update);
    }
  }
  return out;
}

const TIMES = ["startedAt", "endedAt", "eta", "error", "progress"] as const;
const BASE = [
  "actorName",
  "queueName",
  "priority",
  "compositionId",
  "enqueuedAt",
  "args",
  "kwargs",
  "options",
] as const;
const POSITIONAL = new Set<string>([...TIMES, ...BASE, "messageId", "status", "retries"]);

/** '-' when not given, '' when removed, else the field's hash value. */
function part(field: string, value: unknown): string {
  return value === undefined ? "-" : encodeField(field, value);
}

/** One transition as write.lua reads it: NUL-separated parts in a fixed order. */
function encodeOne(update: StateUpdate, withInitial: boolean): string {
  const c = update.changes as Record<string, unknown>;
  let text = `${update.messageId}\0${update.status ?? ""}\0${update.retries}\0${Math.max(1, Math.round(update.ttl))}`;
  for (const field of TIMES) text += `\0${part(field, c[field])}`;
  const extra: string[] = [];
  for (const field in c) {
    if (!POSITIONAL.has(field) && c[field] !== undefined)
      extra.push(field, encodeField(field, c[field]));
  }
  text += `\0${extra.length / 2}`;
  for (const x of extra) text += `\0${x}`;
  // A state given whole is sent at once (a send's pending: the state is new); one given as
  // a function only when the script finds none (a message seen first at its start).
  const given = update.initial;
  if (given === undefined || (!withInitial && typeof given === "function")) return `${text}\0-`;
  const initial = (typeof given === "function" ? given() : given) as unknown as Record<
    string,
    unknown
  >;
  for (const field of BASE) {
    const value = initial[field];
    text += `\0${value === undefined || value === null ? "" : encodeField(field, value)}`;
  }
  for (const field of TIMES) text += `\0${part(field, initial[field])}`;
  return text;
}

/** The script's arguments for a batch: one string per transition (see write.lua). */
function encode(updates: readonly StateUpdate[], withInitial: boolean): string[] {
  return updates.map((u) => encodeOne(u, withInitial));
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
    this.subscriptions = new Subscriptions(this.connection, this.keys.changed);
  }

  write(updates: readonly StateUpdate[]): Promise<void> {
    if (updates.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const call: Call = { left: updates.length, error: undefined, resolve, reject };
      for (const update of updates) this.queue.push({ update, call });
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
      const batch = this.queue.splice(0, MAX_BATCH);
      let error: unknown;
      try {
        await this.send(coalesce(batch.map((p) => p.update)));
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
        ...encode(updates, false),
      );
    } catch (err) {
      throw this.connection.failed(err, `record ${updates.length} message state(s)`);
    }
    const again = missing
      .map((position) => updates[position - 1]!)
      .filter((u) => u.initial !== undefined);
    if (again.length === 0) return;
    try {
      await this.scripts.taskqStateWrite(this.keys.all, this.keys.prefix, ...encode(again, true));
    } catch (err) {
      throw this.connection.failed(err, `record ${again.length} message state(s)`);
    }
  }

  override async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing.catch(() => {});
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
    return this.subscriptions.watch(messageId);
  }

  /** Send what is pending, then close the connections this backend opened. */
  override async close(): Promise<void> {
    await this.flush();
    this.subscriptions.close();
    this.connection.close();
  }
}
