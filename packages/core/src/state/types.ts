/**
 * Where a message is in its life: `pending` (enqueued, or waiting for a retry), `started`,
 * and the ends `success`, `failure` (failed for good), `skipped` (SkipMessage, age limit) and
 * `canceled`.
 */
export type MessageStatus = "pending" | "started" | "success" | "failure" | "skipped" | "canceled";

/** Every status, in the order a message goes through them (the ends last). */
export const MESSAGE_STATUSES: readonly MessageStatus[] = [
  "pending",
  "started",
  "success",
  "failure",
  "skipped",
  "canceled",
];

/** What an actor reports with `setProgress`: a fraction from 0 to 1, or a JSON object. */
export type Progress = number | Record<string, unknown>;

/** Why a message ended as it did: the error's class name and message. */
export interface StateError {
  /** The error class name, e.g. `TimeLimitExceeded`. */
  type: string;
  /** The error message (cut to about 1 KB). */
  message: string;
}

/** A message's state, as readers get it. Times are ms since the epoch. */
export interface StateRecord {
  /** The message id (uuid4). */
  messageId: string;
  /** Where the message is in its life: pending, started, success, failure, skipped or canceled. */
  status: MessageStatus;
  /** The actor that runs the message. */
  actorName: string;
  /** The queue it runs on (never a delay queue). */
  queueName: string;
  /** The positional arguments, as on the wire. */
  args: unknown[];
  /** Keyword arguments (from a Python producer); `{}` for taskq messages. */
  kwargs: Record<string, unknown>;
  /** Its wire options (snake_case). */
  options: Record<string, unknown>;
  /** Its actor's priority (lower runs first). */
  priority: number;
  /** The group or pipeline it belongs to (option `composition_id`). */
  compositionId?: string;
  /** The last progress the actor reported with `setProgress` (a number 0..1 or a JSON object). */
  progress?: Progress;
  /** Retries so far: 0 on the first attempt. */
  retries: number;
  /** When it was sent (a retry keeps the first send's time). */
  enqueuedAt: number;
  /** When its current (or last) attempt started. */
  startedAt?: number;
  /** When it ended for good (success, failure, skipped or canceled). */
  endedAt?: number;
  /** When it is due, for a delayed message or a scheduled retry. */
  eta?: number;
  /** Why it failed, was skipped or canceled. */
  error?: StateError;
}

/** Changes to a state: a field set to `null` is removed. */
export type StateChanges = {
  [K in keyof StateRecord]?: StateRecord[K] | null;
};

/**
 * One transition, as the MessageState middleware hands it to a backend. A backend applies it
 * only when it does not move the state backwards (see `StateBackend.applies`), then sets the
 * expiry to `ttl` ms from now.
 */
export interface StateUpdate {
  /** The message the transition is for. */
  messageId: string;
  /** The new status; undefined for a progress report, which changes no status. */
  status?: MessageStatus;
  /** The attempt this transition belongs to (the message's `retries`). */
  retries: number;
  /** Fields the transition sets (or removes, with null). */
  changes: StateChanges;
  /**
   * The whole state, for a backend that holds none for this id yet (a message sent by a
   * producer without MessageState, Dramatiq say, is tracked from its start). A function is
   * called only when needed.
   */
  initial?: StateRecord | (() => StateRecord);
  /** How long the state lives after this write, ms. */
  ttl: number;
}

/** Which states `list` and `count` look at; filters are ANDed. */
export interface StateFilter {
  /** Only states in this status. */
  status?: MessageStatus;
  /** Only messages of this actor. */
  actorName?: string;
  /** Only messages of this queue. */
  queueName?: string;
  /** Only members of this group or pipeline. */
  compositionId?: string;
  /**
   * Only states enqueued before this time (ms since the epoch): pass the time of the first
   * page's read to page through a listing that new messages do not shift.
   */
  enqueuedBefore?: number;
}

/** `list` options: a filter plus paging. */
export interface StateListOptions extends StateFilter {
  /** States to skip, newest first. Default 0. */
  offset?: number;
  /** Most states to return. Default 50. */
  limit?: number;
}

/** `waitFor` options. */
export interface WaitForStateOptions {
  /** How long to wait, ms. Default 10 s. */
  timeout?: number;
}
