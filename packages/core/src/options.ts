import { InvalidArgument } from "./errors.js";
import { crossedAs } from "./isolation/crossed-error.js";
import { setOwn } from "./own.js";
import { describeValue } from "./validate.js";
/**
 * The one table of actor and message options: the camelCase name used in TypeScript, the
 * snake_case name Dramatiq uses on the wire, and the check applied to a value.
 */

/** An actor, or an actor's name: how callbacks are named. */
export type ActorRef = string | { readonly actorName: string };

/** An error class (a constructor), as `throws` lists them. */
// biome-ignore lint/suspicious/noExplicitAny: constructor parameters are irrelevant here.
export type ErrorClass = abstract new (...args: any[]) => unknown;

/** How backoff grows between retries (Dramatiq's names). */
export type BackoffStrategy =
  | "constant"
  | "linear"
  | "spread_linear"
  | "exponential"
  | "spread_exponential";

/**
 * Options that travel with a message (and may also be set on the actor as defaults).
 * Middleware in other packages add theirs by declaration merging:
 * `declare module "@taskq/core" { interface MessageOptions { myOption?: number } }`.
 */
export interface MessageOptions {
  /** Retries before the message is dead-lettered; `null` retries forever. Default 20. */
  maxRetries?: number | null;
  /** Backoff of the first retry, ms. Default 15 000. */
  minBackoff?: number;
  /** Longest backoff, ms. Default 7 days. */
  maxBackoff?: number;
  /** Actor sent `(messageDict, { retries, max_retries })` once retries run out. */
  onRetryExhausted?: ActorRef;
  /** How backoff grows between retries. Default `exponential`. */
  backoffStrategy?: BackoffStrategy;
  /**
   * Stretch each backoff by a random factor between 1 and 2 (past maxBackoff: between half and
   * all of maxBackoff), as Dramatiq 2.x does. Default true.
   */
  jitter?: boolean;
  /** Drop (dead-letter) the message once it is older than this many ms. */
  maxAge?: number | null;
  /** Abort the actor after this many ms. Default 10 minutes; `null` for none. */
  timeLimit?: number | null;
  /** Interrupt the actor with `Shutdown` when its worker stops. Default false. */
  notifyShutdown?: boolean;
  /** Actor sent `(messageDict, result)` after success. */
  onSuccess?: ActorRef;
  /** Actor sent `(messageDict, { type, message })` once the message has failed for good. */
  onFailure?: ActorRef;
  /** In a pipeline, do not pass the previous step's result to this message. */
  pipeIgnore?: boolean;
  /** Store the actor's result (needs the Results middleware). */
  storeResults?: boolean;
  /** How long a stored result lives, ms. Default 10 minutes. */
  resultTtl?: number;
  /** RabbitMQ message priority (higher first), 0..maxPriority. */
  brokerPriority?: number;
  /**
   * Backoff of a retry after `RateLimitExceeded`, ms; it doubles with each refusal in a row up
   * to `rateLimitMaxBackoff`, with jitter. Such retries do not count toward maxRetries. Default 100.
   */
  rateLimitBackoff?: number;
  /** Longest backoff after `RateLimitExceeded`, ms. Default 5 000. */
  rateLimitMaxBackoff?: number;
}

/** Options that live on the actor only: functions and classes never travel. */
export interface ActorOnlyOptions {
  /** `(retriesSoFar, error) => boolean`; takes precedence over maxRetries. */
  retryWhen?: (retries: number, error: unknown) => boolean;
  /** Error classes that fail the message at once, without retry. */
  throws?: ErrorClass | readonly ErrorClass[];
  /**
   * Run the actor in a pool thread (`"thread"`) or child process (`"process"`) of the worker,
   * so a time limit or a cancel terminates the call and CPU-bound code never blocks the
   * worker's event loop. Args and results cross as JSON.
   */
  isolation?: Isolation;
  /**
   * URL of the module that declares the actor (`import.meta.url`), which each pool thread
   * imports to find it. Needed with `isolation` unless the module is loaded by the `taskq` CLI.
   */
  actorModule?: string;
}

/** Where an isolated actor runs: a worker thread or a child process of the worker. */
export type Isolation = "thread" | "process";

/** Every option an actor may be declared with: message options plus actor-only ones. */
export interface ActorOptions extends MessageOptions, ActorOnlyOptions {}

type Check = (value: unknown) => string | undefined;

const isNonNegative: Check = (v) =>
  typeof v === "number" && v >= 0 && !Number.isNaN(v) ? undefined : "a number ≥ 0 (ms)";
const isNonNegativeOrNull: Check = (v) => (v === null ? undefined : isNonNegative(v));
const isPositiveOrNull: Check = (v) =>
  v === null || (typeof v === "number" && v > 0) ? undefined : "a number > 0 (ms) or null";
const isPositive: Check = (v) =>
  typeof v === "number" && v > 0 && Number.isFinite(v) ? undefined : "a finite number > 0 (ms)";
const isCount: Check = (v) =>
  v === null || (Number.isInteger(v) && (v as number) >= 0) ? undefined : "an integer ≥ 0 or null";
const isBoolean: Check = (v) => (typeof v === "boolean" ? undefined : "a boolean");
const isFunction: Check = (v) => (typeof v === "function" ? undefined : "a function");
const isActorRef: Check = (v) =>
  (typeof v === "string" && v.length > 0) ||
  ((typeof v === "object" || typeof v === "function") &&
    v !== null &&
    typeof (v as { actorName?: unknown }).actorName === "string")
    ? undefined
    : "an actor or an actor name";
const isErrorClasses: Check = (v) =>
  typeof v === "function" || (Array.isArray(v) && v.every((c) => typeof c === "function"))
    ? undefined
    : "an error class or an array of error classes";
const isIsolation: Check = (v) =>
  v === "thread" || v === "process" ? undefined : '"thread" or "process"';
const isModuleUrl: Check = (v) => {
  if (typeof v !== "string") return "a module URL (import.meta.url)";
  try {
    new URL(v);
    return undefined;
  } catch {
    return "a module URL (import.meta.url)";
  }
};
const STRATEGIES = new Set([
  "constant",
  "linear",
  "spread_linear",
  "exponential",
  "spread_exponential",
]);
const isStrategy: Check = (v) =>
  typeof v === "string" && STRATEGIES.has(v) ? undefined : `one of ${[...STRATEGIES].join(", ")}`;
const isPriority: Check = (v) =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255
    ? undefined
    : "an integer from 0 to 255";

interface OptionSpec {
  /** The name in `message.options`; undefined for actor-only options. */
  wire: string | undefined;
  check: Check;
}

const SPECS = new Map<string, OptionSpec>(
  Object.entries({
    maxRetries: { wire: "max_retries", check: isCount },
    minBackoff: { wire: "min_backoff", check: isNonNegative },
    maxBackoff: { wire: "max_backoff", check: isNonNegative },
    retryWhen: { wire: undefined, check: isFunction },
    throws: { wire: undefined, check: isErrorClasses },
    isolation: { wire: undefined, check: isIsolation },
    actorModule: { wire: undefined, check: isModuleUrl },
    onRetryExhausted: { wire: "on_retry_exhausted", check: isActorRef },
    backoffStrategy: { wire: "backoff_strategy", check: isStrategy },
    jitter: { wire: "jitter", check: isBoolean },
    maxAge: { wire: "max_age", check: isPositiveOrNull },
    timeLimit: { wire: "time_limit", check: isPositiveOrNull },
    notifyShutdown: { wire: "notify_shutdown", check: isBoolean },
    onSuccess: { wire: "on_success", check: isActorRef },
    onFailure: { wire: "on_failure", check: isActorRef },
    pipeIgnore: { wire: "pipe_ignore", check: isBoolean },
    storeResults: { wire: "store_results", check: isBoolean },
    resultTtl: { wire: "result_ttl", check: isNonNegativeOrNull },
    brokerPriority: { wire: "broker_priority", check: isPriority },
    rateLimitBackoff: { wire: "rate_limit_backoff", check: isPositive },
    rateLimitMaxBackoff: { wire: "rate_limit_max_backoff", check: isPositive },
  } satisfies Record<string, OptionSpec>),
);

const ACTOR_REF_OPTIONS = new Set(["onRetryExhausted", "onSuccess", "onFailure"]);

/** Register the wire name and check of an option a third-party middleware adds. */
export function defineOption(name: string, wire: string | undefined, check?: Check): void {
  SPECS.set(name, { wire, check: check ?? (() => undefined) });
}

/** The snake_case wire name of a camelCase option; unknown names pass through unchanged. */
export function wireName(name: string): string | undefined {
  const spec = SPECS.get(name);
  return spec === undefined ? name : spec.wire;
}

/** Throws an InvalidArgument naming the option, the expected type and the value, if they disagree. */
export function checkOption(name: string, value: unknown, where: string): void {
  const spec = SPECS.get(name);
  if (spec === undefined || value === undefined) return;
  const expected = spec.check(value);
  if (expected !== undefined) {
    throw new InvalidArgument(
      `Option ${name} of ${where} must be ${expected}, got ${describeValue(value)}`,
    );
  }
}

/** Turns camelCase send options into wire options (actor refs become names). */
export function toWireOptions(
  options: Record<string, unknown>,
  where: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(options)) {
    const value = options[name];
    if (value === undefined) continue;
    checkOption(name, value, where);
    const spec = SPECS.get(name);
    if (spec !== undefined && spec.wire === undefined) {
      throw new InvalidArgument(
        `Option ${name} of ${where} can only be set on the actor: functions do not travel with messages`,
      );
    }
    setOwn(
      out,
      spec?.wire ?? name,
      ACTOR_REF_OPTIONS.has(name) ? actorRefName(value as ActorRef) : value,
    );
  }
  return out;
}

/** The actor name of an ActorRef (the string itself, or the actor's `actorName`). */
export function actorRefName(ref: ActorRef): string {
  return typeof ref === "string" ? ref : ref.actorName;
}

/**
 * The actor name an option read from a message holds (`on_success`, `on_retry_exhausted`...).
 * A message from another producer may carry anything there: a value that names no actor is
 * an InvalidArgument naming the option, so the message is dead-lettered with that reason.
 */
export function targetActorName(ref: unknown, option: string): string {
  if (typeof ref === "string") return ref;
  if (
    (typeof ref === "object" || typeof ref === "function") &&
    ref !== null &&
    typeof (ref as { actorName?: unknown }).actorName === "string"
  ) {
    return (ref as { actorName: string }).actorName;
  }
  throw new InvalidArgument(`Option ${option} must name an actor, got ${describeValue(ref)}`);
}

/** A short label of a callback target for log lines, whatever the option holds. */
export function targetLabel(ref: unknown): string {
  try {
    const name = targetActorName(ref, "");
    return name.length > 200 ? `${name.slice(0, 200)}…` : name;
  } catch {
    return "(not an actor name)";
  }
}

interface OptionHolder {
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * Whether `error` is an instance of one of the classes in the actor's `throws` option: an
 * expected failure, not retried and logged at info. Never throws.
 */
export function isThrown(actor: OptionHolder, error: unknown): boolean {
  if (!Object.hasOwn(actor.options, "throws")) return false;
  const throws = actor.options.throws as ErrorClass | readonly ErrorClass[] | undefined;
  if (throws === undefined) return false;
  const classes: readonly ErrorClass[] = Array.isArray(throws) ? throws : [throws as ErrorClass];
  try {
    return classes.some((c) => error instanceof c || crossedAs(error, c));
  } catch {
    return false;
  }
}

/**
 * Reads an option as middleware see it: the message's value if it has one, else the actor's.
 * A `null` on the message is a value (Python's None), only `undefined` falls through.
 */
export function readOption<K extends keyof ActorOptions>(
  messageOptions: Readonly<Record<string, unknown>>,
  actor: OptionHolder | undefined,
  name: K,
): ActorOptions[K] | undefined {
  // Own properties only: an option named like an Object.prototype member is never inherited.
  const wire = SPECS.get(name)?.wire;
  if (wire !== undefined && Object.hasOwn(messageOptions, wire)) {
    const v = messageOptions[wire];
    if (v !== undefined) return v as ActorOptions[K];
  }
  if (actor === undefined || !Object.hasOwn(actor.options, name)) return undefined;
  return actor.options[name] as ActorOptions[K] | undefined;
}

/**
 * Whether something takes an actor's return value besides Results: the next pipeline step, a
 * group waiting for it, a success callback. Decides Dramatiq's "value has been discarded" warnings.
 */
export function resultPassedOn(
  messageOptions: Readonly<Record<string, unknown>>,
  actor: OptionHolder | undefined,
): boolean {
  return (
    messageOptions.pipe_target != null ||
    messageOptions.pipe_target_group != null ||
    messageOptions.group_then != null ||
    readOption(messageOptions, actor, "onSuccess") != null
  );
}
