/**
 * Errors crossing the isolation boundary. Only JSON crosses, so an error thrown in a pool
 * thread comes back as its class names, name, message and stack, and is rebuilt here as an
 * instance of a class with the same name: log lines, stored results and dead letters read the
 * same as without isolation, and `throws` matches it by class name (its own or a parent's).
 * Taskq's own errors that middleware branch on are rebuilt as the real classes.
 */
import {
  Canceled,
  Interrupt,
  RateLimitExceeded,
  Retry,
  Shutdown,
  SkipMessage,
  TimeLimitExceeded,
} from "../errors.js";

/** An error as it crosses the boundary (JSON). */
export interface WireError {
  /** Constructor names from the error's own class up to (excluding) Object. */
  classes: string[];
  name: string;
  message: string;
  stack?: string;
  /** `Retry`'s delay. */
  delay?: number;
  /** `TaskqError`'s code. */
  code?: string;
}

const CROSSED = Symbol.for("@taskq/core.isolation.crossed");
type Crossed = Error & { [CROSSED]?: readonly string[] };

/** Describe any thrown value for the trip back to the worker. Never throws. */
export function toWireError(error: unknown): WireError {
  try {
    if (error instanceof Error) {
      const classes: string[] = [];
      for (
        let p: unknown = Object.getPrototypeOf(error);
        p !== null && p !== Object.prototype && classes.length < 32;
        p = Object.getPrototypeOf(p)
      ) {
        const name = (p as { constructor?: { name?: unknown } }).constructor?.name;
        if (typeof name === "string" && name.length > 0) classes.push(name);
      }
      const out: WireError = {
        classes,
        name: String(error.name),
        message: String(error.message),
      };
      if (typeof error.stack === "string") out.stack = error.stack;
      const { delay, code } = error as { delay?: unknown; code?: unknown };
      if (typeof delay === "number") out.delay = delay;
      if (typeof code === "string") out.code = code;
      return out;
    }
    return { classes: [], name: typeof error, message: String(error) };
  } catch {
    return { classes: [], name: "Error", message: "(an error that cannot be described)" };
  }
}

// Taskq errors middleware test with instanceof: rebuilt as themselves.
const OWN: Record<string, (w: WireError) => Error> = {
  Retry: (w) => new Retry({ message: w.message, delay: w.delay }),
  RateLimitExceeded: (w) => new RateLimitExceeded(w.message),
  SkipMessage: (w) => new SkipMessage(w.message),
  TimeLimitExceeded: (w) => new TimeLimitExceeded(w.message),
  Shutdown: (w) => new Shutdown(w.message),
  Interrupt: (w) => new Interrupt(w.message),
  // Retries and Cancel branch on it: a canceled message is never retried.
  Canceled: (w) => new Canceled(w.message),
};

const classCache = new Map<string, new (message: string) => Error>();

function namedClass(name: string): new (message: string) => Error {
  let cls = classCache.get(name);
  if (cls === undefined) {
    // A class whose `name` is the original's, so describeError() reports the same type.
    cls = { [name]: class extends Error {} }[name] as new (message: string) => Error;
    classCache.set(name, cls);
  }
  return cls;
}

/** The error a worker sees for one thrown in a pool thread. */
export function fromWireError(w: WireError): Error {
  const own = w.classes.length > 0 ? OWN[w.classes[0] as string] : undefined;

  let error: Error;
  try {
    error = own ? own(w) : new (namedClass(w.classes[0] ?? "Error"))(w.message);
  } catch {
    error = new (namedClass(w.classes[0] ?? "Error"))(w.message);
  }
  error.name = w.name;
  if (w.stack !== undefined) error.stack = w.stack;
  if (w.code !== undefined && !own) Object.defineProperty(error, "code", { value: w.code });
  Object.defineProperty(error, CROSSED, { value: w.classes });
  return error;
}

/** Whether `error` came back from a pool thread as an instance of a class named like `cls`. */
export function crossedAs(error: unknown, cls: Function): boolean {
  if (typeof error !== "object" || error === null) return false;
  const classes = (error as Crossed)[CROSSED];
  return classes?.includes(cls.name) === true;
}
