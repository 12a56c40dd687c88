export type { SchedulerClock } from "./clock.js";
export { MemoryScheduleStore } from "./memory-store.js";
export type { MissedPolicy } from "./plan.js";
export type { RedisScheduleStoreOptions } from "./redis-store.js";
export { RedisScheduleStore } from "./redis-store.js";
export type {
  ScheduleActor,
  ScheduleInfo,
  ScheduleOptions,
  SchedulerOptions,
  ScheduleSpec,
  ScheduleTarget,
} from "./scheduler.js";
export { Scheduler } from "./scheduler.js";
export type {
  CompareAndSetResult,
  ScheduleField,
  ScheduleFields,
  ScheduleStore,
  StoredSchedule,
} from "./store.js";
