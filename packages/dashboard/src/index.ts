export type { DashboardHandler, DashboardOptions } from "./dashboard.js";
export { createDashboard } from "./dashboard.js";
export type { AuthPredicate, BasicAuth } from "./guard.js";
export type { DeadLetterItem, QueueSummary } from "./queues.js";
export type {
  DashboardCancel,
  DashboardMessageStatus,
  DashboardScheduler,
  DashboardStateFilter,
  DashboardStates,
} from "./sources.js";
