import type {
  CompareAndSetResult,
  ScheduleField,
  ScheduleFields,
  ScheduleStore,
  StoredSchedule,
} from "./store.js";

/**
 * Schedules in this process's memory: for one scheduler process and for tests. Several
 * Scheduler instances may share one (each tick is still sent once); nothing survives the
 * process.
 */
export class MemoryScheduleStore implements ScheduleStore {
  private readonly schedules = new Map<string, StoredSchedule>();

  async get(name: string): Promise<StoredSchedule | undefined> {
    const state = this.schedules.get(name);
    return state === undefined ? undefined : { ...state };
  }

  async compareAndSet(
    name: string,
    expect: ScheduleFields,
    set: ScheduleFields,
  ): Promise<CompareAndSetResult> {
    const state = this.schedules.get(name);
    for (const field of Object.keys(expect) as ScheduleField[]) {
      if ((state?.[field] ?? null) !== expect[field]) {
        return { ok: false, state: state === undefined ? undefined : { ...state } };
      }
    }
    const next: StoredSchedule = { ...state };
    for (const field of Object.keys(set) as ScheduleField[]) {
      const value = set[field];
      if (value === null || value === undefined) delete next[field];
      else next[field] = value;
    }
    if (Object.keys(next).length === 0) this.schedules.delete(name);
    else this.schedules.set(name, next);
    return { ok: true, state: Object.keys(next).length === 0 ? undefined : { ...next } };
  }

  async delete(name: string): Promise<void> {
    this.schedules.delete(name);
  }

  async close(): Promise<void> {}
}
