/** Message statuses of DESIGN §11, the only values `/api/messages?status=` accepts. */
export const MESSAGE_STATUSES = [
  "pending",
  "started",
  "success",
  "failure",
  "skipped",
  "canceled",
] as const;

/** A message status (`MessageState`'s). */
export type DashboardMessageStatus = (typeof MESSAGE_STATUSES)[number];

/** The filter `/api/messages` passes to `states.list` and `states.count`. */
export interface DashboardStateFilter {
  status?: DashboardMessageStatus;
  actorName?: string;
  queueName?: string;
}

/**
 * What the dashboard reads message states through: core's `MessageState` middleware has
 * this shape (`get`, `list`, `count`).
 */
export interface DashboardStates {
  get(messageId: string): Promise<object | undefined>;
  list(options: DashboardStateFilter & { offset: number; limit: number }): Promise<object[]>;
  count(filter: DashboardStateFilter): Promise<number>;
}

/** What the dashboard reads and triggers schedules through: `@taskq/scheduler`'s `Scheduler`. */
export interface DashboardScheduler {
  list(): Promise<object[]>;
  trigger(name: string): Promise<{ messageId: string }>;
}
