/**
 * Every error taskq raises extends TaskqError and carries a stable `code`, so callers can
 * branch on `err.code` without depending on class identity across package copies.
 */
export class TaskqError extends Error {
  /**
   * Stable code naming the error (`TASKQ_...`): branch on it rather than on the class, which
   * differs between copies of the package.
   */
  readonly code: string = "TASKQ_ERROR";

  constructor(message = "", options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A usage error: a wrong option type or value, a missing setting, a call that cannot work as
 * made. Taskq decides what is permanent by its own classes only, so a TypeError thrown by an
 * actor's own code is an ordinary failure (retried), while this one names a caller's mistake.
 */
export class InvalidArgument extends TaskqError {
  override readonly code: string = "TASKQ_INVALID_ARGUMENT";
}

/** A broker could not do what was asked (base of the queue, actor and connection errors). */
export class BrokerError extends TaskqError {
  override readonly code: string = "TASKQ_BROKER_ERROR";
}

/** Raised when bytes taken off a queue are not a valid message. */
export class DecodeError extends TaskqError {
  override readonly code = "TASKQ_DECODE_ERROR";
  /** The bytes (or text) that failed to decode. */
  readonly data: Uint8Array | string;

  constructor(message: string, data: Uint8Array | string, cause?: unknown) {
    super(message, { cause });
    this.data = data;
  }
}

/** Raised when a message names an actor that was never declared on the broker. */
export class ActorNotFound extends BrokerError {
  override readonly code = "TASKQ_ACTOR_NOT_FOUND";
}

/** Raised when an operation names a queue that was never declared on the broker. */
export class QueueNotFound extends BrokerError {
  override readonly code = "TASKQ_QUEUE_NOT_FOUND";
}

/** Raised by `broker.join()` when its timeout elapses first. */
export class QueueJoinTimeout extends BrokerError {
  override readonly code = "TASKQ_QUEUE_JOIN_TIMEOUT";
}

/**
 * The broker's server could not be reached or was lost (base of ConnectionClosed and
 * ConnectionFailed).
 */
export class ConnectionError extends BrokerError {
  override readonly code: string = "TASKQ_CONNECTION_ERROR";
}

/** The connection to the broker was lost while in use. */
export class ConnectionClosed extends ConnectionError {
  override readonly code = "TASKQ_CONNECTION_CLOSED";
}

/** A connection to the broker could not be opened. */
export class ConnectionFailed extends ConnectionError {
  override readonly code = "TASKQ_CONNECTION_FAILED";
}

/**
 * The error for a call to a server that failed: ConnectionClosed when a connection had been
 * made before, ConnectionFailed when none ever was. The message names the server, its
 * address and what was being done, so the one line in a log says where to look.
 */
export function connectionError(
  server: string,
  where: string,
  doing: string,
  cause: unknown,
  everConnected: boolean,
): ConnectionError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const Kind = everConnected ? ConnectionClosed : ConnectionFailed;
  return new Kind(`Could not ${doing} on ${server} at ${where}: ${reason}`, { cause });
}

/**
 * A rate limiter refused; thrown in an actor, the message is retried later without counting toward
 * maxRetries.
 */
export class RateLimitExceeded extends TaskqError {
  override readonly code = "TASKQ_RATE_LIMIT_EXCEEDED";
}

/**
 * Thrown by an actor to ask for a retry. Unlike other errors it is not logged as a failure;
 * `delay` (ms), when given, replaces the computed backoff.
 */
export class Retry extends TaskqError {
  override readonly code = "TASKQ_RETRY";
  /** Retry after this many ms instead of the computed backoff; undefined for the backoff. */
  readonly delay: number | undefined;

  constructor(options: { message?: string; delay?: number } = {}) {
    super(options.message ?? "retry requested");
    if (options.delay !== undefined && !(Number.isFinite(options.delay) && options.delay >= 0)) {
      throw new InvalidArgument(
        `Retry delay must be a non-negative number of ms, got ${options.delay}`,
      );
    }
    this.delay = options.delay;
  }
}

/** Base of the errors of getting a result. */
export class ResultError extends TaskqError {
  override readonly code: string = "TASKQ_RESULT_ERROR";
}

/** A non-blocking get found no result stored for the message. */
export class ResultMissing extends ResultError {
  override readonly code = "TASKQ_RESULT_MISSING";
}

/** A blocking get waited out its timeout without a result. */
export class ResultTimeout extends ResultError {
  override readonly code = "TASKQ_RESULT_TIMEOUT";
}

/** The actor failed for good; the stored failure names the original error. */
export class ResultFailure extends ResultError {
  override readonly code = "TASKQ_RESULT_FAILURE";
  /** The class name of the error the actor failed with. */
  readonly origExcType: string;
  /** The message of the error the actor failed with. */
  readonly origExcMsg: string;

  constructor(message: string, origExcType = "", origExcMsg = "") {
    super(message);
    this.origExcType = origExcType;
    this.origExcMsg = origExcMsg;
  }
}

/** Thrown from a `before*` middleware hook, it propagates instead of being logged. */
export class MiddlewareError extends TaskqError {
  override readonly code: string = "TASKQ_MIDDLEWARE_ERROR";
}

/** Thrown from `beforeProcessMessage` to skip a message; `afterSkipMessage` runs instead. */
export class SkipMessage extends MiddlewareError {
  override readonly code = "TASKQ_SKIP_MESSAGE";
}

/** Base of the errors that interrupt a running actor (through its AbortSignal). */
export class Interrupt extends TaskqError {
  override readonly code: string = "TASKQ_INTERRUPT";
}

/** The actor ran past its time limit; its AbortSignal aborts with this error. */
export class TimeLimitExceeded extends Interrupt {
  override readonly code = "TASKQ_TIME_LIMIT_EXCEEDED";
}

/** The worker is stopping; actors with `notifyShutdown` get this through their AbortSignal. */
export class Shutdown extends Interrupt {
  override readonly code = "TASKQ_SHUTDOWN";
}

/**
 * The message was canceled (`message.cancel()`, `cancel(ids)`, a group's `cancelOnError`):
 * the reason a running actor's AbortSignal aborts with, and the `cause` of the SkipMessage
 * that skips a message canceled before it started. A canceled message is never retried.
 */
export class Canceled extends Interrupt {
  override readonly code = "TASKQ_CANCELED";
}

/** `waitFor` waited out its timeout before the message reached a status it was waiting for. */
export class StateTimeout extends TaskqError {
  override readonly code = "TASKQ_STATE_TIMEOUT";
}

/**
 * Raised when a value cannot travel as JSON (a BigInt, a function, NaN, a Map, a cycle...).
 * `path` points at the offending value, e.g. `args[1].when`.
 */
export class EncodeError extends TaskqError {
  override readonly code = "TASKQ_ENCODE_ERROR";
  /** Where in the value the part that cannot be carried is (`args[0].when`). */
  readonly path: string;

  constructor(message: string, path: string) {
    super(message);
    this.path = path;
  }
}

/**
 * Isolation could not do its part: a pool thread (or child process) could not import an
 * actor's module at worker boot, did not find an isolated actor there, or died while it ran
 * a message.
 */
export class IsolationError extends TaskqError {
  override readonly code = "TASKQ_ISOLATION";
}
