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
  /** Only states with this status. */
  status?: DashboardMessageStatus;
  /** Only messages of this actor. */
  actorName?: string;
  /** Only messages of this queue. */
  queueName?: string;
  /** Only members of this group or pipeline. */
  compositionId?: string;
}

/**
 * What the dashboard reads message states through: core's `MessageState` middleware has
 * this shape (`get`, `list`, `count`).
 */
export interface DashboardStates {
  /** The state of one message; `undefined` when unknown. */
  get(messageId: string): Promise<object | undefined>;
  /** The states of several messages in one read, in order (optional: `get` each otherwise). */
  getMany?(messageIds: readonly string[]): Promise<(object | undefined)[]>;
  /** One page of states matching the filter, newest first. */
  list(options: DashboardStateFilter & { offset: number; limit: number }): Promise<object[]>;
  /** How many states match the filter, whatever the paging. */
  count(filter: DashboardStateFilter): Promise<number>;
}

/** What the dashboard reads and triggers schedules through: `@taskq/scheduler`'s `Scheduler`. */
export interface DashboardScheduler {
  /** Every schedule with its next and last run. */
  list(): Promise<object[]>;
  /** Send the schedule's message now. */
  trigger(name: string): Promise<{ messageId: string }>;
}

/**
 * What the dashboard cancels messages through: core's `Cancel` middleware, which must be on
 * the dashboard's broker (cancels go through core's `cancel(ids, { broker })`).
 */
export interface DashboardCancel {
  /** Where the middleware keeps cancel marks. */
  readonly backend: object;
}
