/** The fields a store keeps per schedule, all as strings (numbers in decimal ms). */
export type ScheduleField =
  | "spec"
  | "anchor"
  | "next"
  | "enabled"
  | "lastRun"
  | "lastMessageId"
  | "claim";

/** One schedule's stored fields; a field that is absent is not set. */
export type StoredSchedule = Partial<Record<ScheduleField, string>>;

/** Per field: the value expected (or set), `null` meaning "absent" (or "delete it"). */
export type ScheduleFields = Partial<Record<ScheduleField, string | null>>;

/** What `store.compareAndSet()` resolves to. */
export interface CompareAndSetResult {
  /** Whether every expected field matched and `set` was applied. */
  ok: boolean;
  /** The stored fields after the call (`undefined` when nothing is stored). */
  state: StoredSchedule | undefined;
}

/**
 * Where schedulers keep each schedule's durable state: its grid, next and last run, and the
 * claim on the ticks being sent. Every change goes through one atomic compare-and-set, which
 * is what makes N schedulers on one store send each tick once. Implement it to keep
 * schedules somewhere other than memory or Redis.
 */
export interface ScheduleStore {
  /** The stored fields of a schedule, or `undefined` when it has none. */
  get(name: string): Promise<StoredSchedule | undefined>;
  /**
   * Atomically: when every field of `expect` has the expected value (`null`: absent), write
   * the fields of `set` (`null`: delete the field). Resolves to whether it did, and the state
   * after.
   */
  compareAndSet(
    name: string,
    expect: ScheduleFields,
    set: ScheduleFields,
  ): Promise<CompareAndSetResult>;
  /** Forget a schedule's stored state. */
  delete(name: string): Promise<void>;
  /** Release connections the store opened. */
  close(): Promise<void>;
}
