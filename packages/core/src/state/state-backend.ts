import { InvalidArgument, StateTimeout } from "../errors.js";
import { describeValue } from "../validate.js";
import type {
  MessageStatus,
  StateFilter,
  StateListOptions,
  StateRecord,
  StateUpdate,
  WaitForStateOptions,
} from "./types.js";
import { MESSAGE_STATUSES } from "./types.js";

/** How long `waitFor` waits by default, ms. */
export const DEFAULT_STATE_TIMEOUT = 10_000;
const DEFAULT_LIMIT = 50;

const RANK: Readonly<Record<MessageStatus, number>> = {
  pending: 0,
  started: 1,
  success: 2,
  failure: 2,
  skipped: 2,
  canceled: 2,
};

/** Whether a status is an end: success, failure, skipped or canceled. */
export function isFinished(status: MessageStatus): boolean {
  return RANK[status] === 2;
}

/**
 * A subscription to one message's changes, opened before its state is read so that no change
 * between the read and the wait is missed.
 */
export interface StateWatch {
  /** Resolve at the next change since the last call (at once if one came), or after `timeout` ms. */
  next(timeout: number): Promise<void>;
  /** Stop watching; pending `next` calls resolve. */
  close(): void;
}

/** A filter and paging, checked. */
export interface CheckedListOptions {
  /** Which states, checked. */
  filter: StateFilter;
  /** How many of the newest to pass over. */
  offset: number;
  /** How many to return at most. */
  limit: number;
}

function isStatus(value: unknown): value is MessageStatus {
  return typeof value === "string" && (MESSAGE_STATUSES as readonly string[]).includes(value);
}

/**
 * Where MessageState keeps states. Writes come in batches of transitions; a backend applies
 * each one only when it moves the state forward (`applies`), so writes from several
 * processes landing out of order never move a state backwards. Readers return promises.
 */
export abstract class StateBackend {
  /**
   * Apply transitions, each only if `applies` says so, refreshing the state's expiry. A
   * backend may gather the writes of one turn of the event loop into one round trip.
   */
  abstract write(updates: readonly StateUpdate[]): Promise<void>;

  /** The state of a message, or undefined when none is known (or it expired). */
  abstract get(messageId: string): Promise<StateRecord | undefined>;

  /** Several states at once, in the order of `messageIds`. */
  async getMany(messageIds: readonly string[]): Promise<(StateRecord | undefined)[]> {
    return Promise.all(messageIds.map((id) => this.get(id)));
  }

  /** States newest first (by `enqueuedAt`), filtered and paged. */
  abstract list(options?: StateListOptions): Promise<StateRecord[]>;

  /** How many states match the filter. */
  abstract count(filter?: StateFilter): Promise<number>;

  /** Open a watch on one message's changes (see StateWatch). */
  protected abstract watch(messageId: string): Promise<StateWatch>;

  /**
   * Resolve to the state once the message is in one of `statuses`; reject with StateTimeout
   * after `timeout` ms (default 10 s). Wakes on the backend's change notices, not by polling.
   */
  async waitFor(
    messageId: string,
    statuses: MessageStatus | readonly MessageStatus[],
    options: WaitForStateOptions = {},
  ): Promise<StateRecord> {
    const wanted = StateBackend.checkStatuses(statuses);
    const timeout = options.timeout ?? DEFAULT_STATE_TIMEOUT;
    if (!(typeof timeout === "number" && timeout >= 0 && Number.isFinite(timeout))) {
      throw new InvalidArgument(
        `waitFor timeout must be a finite number of ms ≥ 0, got ${describeValue(timeout)}`,
      );
    }
    const deadline = Date.now() + timeout;
    const watch = await this.watch(messageId);
    try {
      for (;;) {
        const state = await this.get(messageId);
        if (state !== undefined && wanted.has(state.status)) return state;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new StateTimeout(
            `Message ${messageId} did not reach ${[...wanted].join(" or ")} within ${timeout} ms (it is ${state?.status ?? "unknown"})`,
          );
        }
        await watch.next(left);
      }
    } finally {
      watch.close();
    }
  }

  /** Wait for pending writes to land (a backend that gathers writes overrides it). */
  async flush(): Promise<void> {}

  /** Release connections and timers. */
  async close(): Promise<void> {}

  /**
   * Whether `update` moves a state forward from `stored`: a later attempt (more retries), or
   * the same attempt at a later stage (pending, then started, then an end). The same stage
   * again applies unless it is an end (a message delivered again after a worker died starts
   * again; its first end stays). A progress report applies to a state that has not ended.
   */
  static applies(
    stored: Pick<StateRecord, "status" | "retries"> | undefined,
    update: Pick<StateUpdate, "status" | "retries">,
  ): boolean {
    if (update.status === undefined) return stored !== undefined && !isFinished(stored.status);
    if (stored === undefined) return true;
    if (update.retries !== stored.retries) return update.retries > stored.retries;
    const next = RANK[update.status];
    const now = RANK[stored.status];
    return next > now || (next === now && next < 2);
  }

  /**
   * The state after `update`, or undefined when it does not apply (or there is no state to
   * change and no `initial` one): what an in-memory backend stores. Returns a new object.
   */
  static merge(stored: StateRecord | undefined, update: StateUpdate): StateRecord | undefined {
    if (!StateBackend.applies(stored, update)) return undefined;
    let base: StateRecord;
    if (stored !== undefined) base = { ...stored };
    else {
      const initial = typeof update.initial === "function" ? update.initial() : update.initial;
      if (initial === undefined) return undefined;
      base = { ...initial };
    }
    const out = base as unknown as Record<string, unknown>;
    for (const key of Object.keys(update.changes)) {
      const value = (update.changes as Record<string, unknown>)[key];
      if (value === null) delete out[key];
      else if (value !== undefined) out[key] = value;
    }
    if (update.status !== undefined) {
      base.status = update.status;
      base.retries = update.retries;
    }
    return base;
  }

  /** The statuses `waitFor` was given, checked. */
  static checkStatuses(statuses: unknown): Set<MessageStatus> {
    const list = Array.isArray(statuses) ? statuses : [statuses];
    if (list.length === 0 || !list.every(isStatus)) {
      throw new InvalidArgument(
        `A status is one of ${MESSAGE_STATUSES.join(", ")} (or a non-empty array of them), got ${describeValue(statuses)}`,
      );
    }
    return new Set(list);
  }

  /** A filter and paging checked, with defaults: InvalidArgument naming what is wrong. */
  static checkListOptions(options: unknown, withPaging: boolean): CheckedListOptions {
    const where = withPaging ? "list" : "count";
    if (options === undefined) return { filter: {}, offset: 0, limit: DEFAULT_LIMIT };
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new InvalidArgument(
        `${where} options must be an object, got ${describeValue(options)}`,
      );
    }
    const o = options as Record<string, unknown>;
    const filter: StateFilter = {};
    const own = (k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);
    const status = own("status");
    if (status !== undefined) {
      if (!isStatus(status)) {
        throw new InvalidArgument(
          `${where} option status must be one of ${MESSAGE_STATUSES.join(", ")}, got ${describeValue(status)}`,
        );
      }
      filter.status = status;
    }
    for (const k of ["actorName", "queueName", "compositionId"] as const) {
      const v = own(k);
      if (v === undefined) continue;
      if (typeof v !== "string" || v.length === 0) {
        throw new InvalidArgument(
          `${where} option ${k} must be a non-empty string, got ${describeValue(v)}`,
        );
      }
      filter[k] = v;
    }
    const before = own("enqueuedBefore");
    if (before !== undefined) {
      if (typeof before !== "number" || !Number.isFinite(before)) {
        throw new InvalidArgument(
          `${where} option enqueuedBefore must be a time in ms, got ${describeValue(before)}`,
        );
      }
      filter.enqueuedBefore = before;
    }
    let offset = 0;
    let limit = DEFAULT_LIMIT;
    if (withPaging) {
      const off = own("offset");
      if (off !== undefined) {
        if (!Number.isInteger(off) || (off as number) < 0) {
          throw new InvalidArgument(
            `list option offset must be an integer ≥ 0, got ${describeValue(off)}`,
          );
        }
        offset = off as number;
      }
      const lim = own("limit");
      if (lim !== undefined) {
        if (!Number.isInteger(lim) || (lim as number) < 1) {
          throw new InvalidArgument(
            `list option limit must be an integer ≥ 1, got ${describeValue(lim)}`,
          );
        }
        limit = lim as number;
      }
    }
    return { filter, offset, limit };
  }
}
