import { randomUUID } from "node:crypto";
import { assertJsonable } from "./encoder.js";
import { InvalidArgument } from "./errors.js";
import { assertQueueName } from "./queue-names.js";
import { describeValue, optionChecks, validateOptions } from "./validate.js";

/** How a data queue treats what it hands out (`broker.dataQueue(name, options)`). */
export interface DataQueueOptions {
  /**
   * How many leases an item gets, the first included; after that many expired leases it is
   * dead (kept for `dead()` when `useDead`, dropped otherwise). Default 1.
   */
  attempts?: number;
  /**
   * Default lease of `get`, ms. 0 (the default): `get` removes what it returns (0/1
   * delivery); > 0: `get` leases items, which come back unless `done` in time (1+ delivery).
   */
  visTimeout?: number;
  /** Keep items whose last lease expired, for `dead()`. Default false: they are dropped. */
  useDead?: boolean;
}

/** Options of `dataQueue.put(items, options)`. */
export interface DataPutOptions {
  /** Hide the items from `get` and `size` for this many ms. Default 0. */
  delay?: number;
}

/** Options of `dataQueue.get(n, options)`. */
export interface DataGetOptions {
  /** Lease for this call, ms, instead of the queue's `visTimeout`; 0 removes the items. */
  visTimeout?: number;
  /**
   * Wait up to this many ms for at least one item, without polling: a `put`, a due delayed
   * item or an expired lease ends the wait. Default 0: do not wait.
   */
  timeout?: number;
}

/** Options of `dataQueue.refresh(ids, options)`. */
export interface DataRefreshOptions {
  /** The new lease, ms from now. Default: the queue's `visTimeout` (which must then be > 0). */
  visTimeout?: number;
}

/** Ids of items, or what `get`/`dead` resolved to (its keys are the ids). */
export type DataIds = Iterable<string> | ReadonlyMap<string, unknown>;

/** The settings every operation runs with, resolved. */
export interface DataQueueSettings {
  /** Leases an item gets before it is dead, the first included. */
  readonly attempts: number;
  /** Whether dead items are kept for `dead()` (else dropped). */
  readonly useDead: boolean;
}

const QUEUE_CHECKS = {
  attempts: optionChecks.positiveInteger,
  visTimeout: optionChecks.nonNegativeNumber,
  useDead: optionChecks.boolean,
};

/**
 * A queue of plain JSON items with batch reads (rpqueue's `Data`), from
 * `broker.dataQueue(name, options)`. `put` resolves to the items' ids in item order; `get(n)`
 * resolves to a `Map` of id → item, oldest first, as soon as it has at least one (up to n);
 * with a lease (`visTimeout` > 0) an item comes back unless `done` before its lease expires,
 * up to `attempts` leases. Every user of one data queue should open it with the same
 * `attempts` and `useDead`: whoever notices an expired lease applies its own.
 *
 * This base class checks arguments and encodes items; brokers store them by implementing
 * the protected methods, each of which must be atomic.
 */
export abstract class DataQueue<T = unknown> {
  /** The data queue's name (a queue name; its keys never collide with a task queue's). */
  readonly name: string;
  /** Leases an item gets, the first included, before it is dead. */
  readonly attempts: number;
  /** The default lease of `get`, ms; 0 means `get` removes what it returns. */
  readonly visTimeout: number;
  /** Whether dead items are kept for `dead()`. */
  readonly useDead: boolean;

  constructor(name: string, options: DataQueueOptions = {}) {
    assertQueueName(name, "data queue name");
    validateOptions(`dataQueue ${name}`, options, QUEUE_CHECKS);
    const o = { ...options };
    this.name = name;
    this.attempts = o.attempts ?? 1;
    this.visTimeout = o.visTimeout ?? 0;
    this.useDead = o.useDead ?? false;
  }

  /** What a storage method needs to apply expired leases: `attempts` and `useDead`. */
  protected get settings(): DataQueueSettings {
    return { attempts: this.attempts, useDead: this.useDead };
  }

  /**
   * Add items (JSON values) at the end of the queue, or hidden for `delay` ms. Resolves to
   * their ids, in item order. An item JSON cannot carry is an EncodeError and nothing is stored.
   */
  async put(items: readonly T[], options: DataPutOptions = {}): Promise<string[]> {
    if (!Array.isArray(items)) {
      throw new InvalidArgument(
        `${this.where("put")}: items must be an array, got ${describeValue(items)}`,
      );
    }
    validateOptions(this.where("put"), options, { delay: optionChecks.nonNegativeNumber });
    const delay = { ...options }.delay ?? 0;
    const ids: string[] = [];
    const data: string[] = [];
    for (let i = 0; i < items.length; i++) {
      const item: unknown = items[i];
      assertJsonable(item, `items[${i}]`);
      ids.push(randomUUID());
      data.push(JSON.stringify(item));
    }
    if (ids.length > 0) await this.doPut(ids, data, delay);
    return ids;
  }

  /**
   * Take up to `n` ready items, oldest first. With a lease (`visTimeout` > 0) each stays
   * yours until it expires or you call `done`; with 0 it is removed. With `timeout`, waits
   * that long for at least one item; resolves to an empty Map when none came.
   */
  async get(n = 1, options: DataGetOptions = {}): Promise<Map<string, T>> {
    if (!(Number.isInteger(n) && n >= 1)) {
      throw new InvalidArgument(
        `${this.where("get")}: n must be an integer ≥ 1, got ${describeValue(n)}`,
      );
    }
    validateOptions(this.where("get"), options, {
      visTimeout: optionChecks.nonNegativeNumber,
      timeout: optionChecks.nonNegativeNumber,
    });
    const o = { ...options };
    const pairs = await this.doGet(n, o.visTimeout ?? this.visTimeout, o.timeout ?? 0);
    return decodePairs<T>(pairs);
  }

  /** Extend the leases of these items to `visTimeout` ms from now; resolves to the ids still held (the others' leases had expired). */
  async refresh(ids: DataIds, options: DataRefreshOptions = {}): Promise<string[]> {
    validateOptions(this.where("refresh"), options, { visTimeout: optionChecks.positiveNumber });
    const visTimeout = { ...options }.visTimeout ?? this.visTimeout;
    if (visTimeout <= 0) {
      throw new InvalidArgument(
        `${this.where("refresh")}: give a visTimeout > 0 (this queue's default is 0, no leases)`,
      );
    }
    const list = this.idList("refresh", ids);
    return list.length === 0 ? [] : this.doRefresh(list, visTimeout);
  }

  /**
   * Finish leased items (their lease must not have expired) or delete dead ones. Resolves to
   * how many were removed.
   */
  async done(ids: DataIds): Promise<number> {
    const list = this.idList("done", ids);
    return list.length === 0 ? 0 : this.doDone(list);
  }

  /** How many items are ready: neither leased nor delayed. */
  size(): Promise<number> {
    return this.doSize();
  }

  /** Up to `n` dead items (oldest first), left in place: `done(ids)` deletes them. */
  async dead(n = 100): Promise<Map<string, T>> {
    if (!(Number.isInteger(n) && n >= 1)) {
      throw new InvalidArgument(
        `${this.where("dead")}: n must be an integer ≥ 1, got ${describeValue(n)}`,
      );
    }
    return decodePairs<T>(await this.doDead(n));
  }

  /** Store items (JSON text) under new ids, ready now or after `delay` ms. */
  protected abstract doPut(ids: string[], data: string[], delay: number): Promise<void>;
  /** Take up to `n` ready items as [id, json] pairs, waiting up to `timeout` ms for one. */
  protected abstract doGet(
    n: number,
    visTimeout: number,
    timeout: number,
  ): Promise<[string, string][]>;
  /** Extend the leases of `ids` still held to `visTimeout` ms from now; resolve to those ids. */
  protected abstract doRefresh(ids: string[], visTimeout: number): Promise<string[]>;
  /** Delete leased (live lease) or dead items; resolve to how many were deleted. */
  protected abstract doDone(ids: string[]): Promise<number>;
  /** Count the ready items (not leased, not delayed). */
  protected abstract doSize(): Promise<number>;
  /** Up to `n` dead items as [id, json] pairs, oldest first, left in place. */
  protected abstract doDead(n: number): Promise<[string, string][]>;

  private where(method: string): string {
    return `dataQueue ${this.name}.${method}`;
  }

  private idList(method: string, ids: DataIds): string[] {
    const source =
      ids instanceof Map
        ? ids.keys()
        : typeof ids === "object" && ids !== null && Symbol.iterator in ids
          ? (ids as Iterable<unknown>)
          : undefined;
    if (source === undefined || typeof ids === "string") {
      throw new InvalidArgument(
        `${this.where(method)}: ids must be an iterable of ids or a Map from get, got ${describeValue(ids)}`,
      );
    }
    const list: string[] = [];
    for (const id of source) {
      if (typeof id !== "string") {
        throw new InvalidArgument(
          `${this.where(method)}: every id must be a string, got ${describeValue(id)}`,
        );
      }
      list.push(id);
    }
    return list;
  }
}

function decodePairs<T>(pairs: [string, string][]): Map<string, T> {
  const out = new Map<string, T>();
  for (const [id, json] of pairs) out.set(id, JSON.parse(json) as T);
  return out;
}
