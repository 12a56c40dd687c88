import { formatError } from "./error-text.js";
import { renderBounded } from "./render.js";

/**
 * Logging. The interface is the subset of pino's that taskq uses, so a pino logger plugs in
 * as it is: `log.warn("text")` or `log.error({ err }, "text")`.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields of a log record; `err` is rendered with its stack. */
export interface LogFields {
  /** The error the record is about. */
  err?: unknown;
  /** Any other field a logger may record. */
  [key: string]: unknown;
}

/** A log method: `log.info("text")` or `log.error({ err }, "text")`. */
export interface LogFn {
  /** Write `msg` (with `fields`, when given) at this method's level. */
  (msg: string): void;
  (fields: LogFields, msg: string): void;
}

/** What taskq writes its logs to. */
export interface Logger {
  /** Detail for debugging: each message received and completed. */
  debug: LogFn;
  /** Normal operation: boot, shutdown. */
  info: LogFn;
  /** Something went wrong and was handled (a retry, a lost connection being restored). */
  warn: LogFn;
  /** Something failed (a message dead-lettered, a hook that threw). */
  error: LogFn;
  /** pino's child loggers; taskq passes `{ name }` to label its components. */
  child?(bindings: { name: string }): Logger;
  /** When present, lets taskq skip formatting debug lines nobody reads. */
  isLevelEnabled?(level: LogLevel): boolean;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const LABELS: Record<LogLevel, string> = {
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
};

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Dramatiq's timestamp: `2026-11-21 13:03:48,188`, local time. */
function timestamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

/** Longest message a ConsoleLogger line keeps; callers render message contents far shorter. */
const MAX_MESSAGE = 16_384;
/** Most bytes of the error (message, stack, cause) written after a line. */
const MAX_ERROR_TEXT = 16_384;

function boundMessage(msg: unknown): string {
  const text = typeof msg === "string" ? msg : renderBounded(msg);
  return text.length <= MAX_MESSAGE
    ? text
    : `${text.slice(0, MAX_MESSAGE)}…(${text.length - MAX_MESSAGE} more bytes)`;
}

/** Options of `new ConsoleLogger()`. */
export interface ConsoleLoggerOptions {
  /** Lowest level written; defaults to `TASKQ_LOG_LEVEL` or `info`. */
  level?: LogLevel;
  /** Component name shown in the fourth field. */
  name?: string;
  /** Process label shown in the third field (the CLI sets `MainProcess`, `Worker-1`, ...). */
  processName?: string;
  /** Where lines go; defaults to stderr. */
  write?: (line: string) => void;
}

function envLevel(): LogLevel {
  const v = typeof process !== "undefined" ? process.env.TASKQ_LOG_LEVEL?.toLowerCase() : undefined;
  return v === "debug" || v === "info" || v === "warn" || v === "error" ? v : "info";
}

/**
 * The default logger: one line per record in Dramatiq's format,
 * `[time] [PID n] [process] [name] [LEVEL] message`, errors followed by their stack.
 */
export class ConsoleLogger implements Logger {
  /** The lowest level written. */
  readonly level: LogLevel;
  /** The component name shown in each line. */
  readonly name: string;
  /** The process label shown in each line. */
  readonly processName: string;
  private readonly threshold: number;
  private readonly write: (line: string) => void;

  constructor(options: ConsoleLoggerOptions = {}) {
    this.level = options.level ?? envLevel();
    this.threshold = LEVELS[this.level];
    this.name = options.name ?? "taskq";
    this.processName = options.processName ?? process.env.TASKQ_PROCESS_NAME ?? "main";
    this.write = options.write ?? ((line) => process.stderr.write(line));
  }

  isLevelEnabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.threshold;
  }

  child(bindings: { name: string }): Logger {
    return new ConsoleLogger({
      level: this.level,
      name: bindings.name,
      processName: this.processName,
      write: this.write,
    });
  }

  /** Write a debug line (when `level` is `debug`). */
  debug: LogFn = (a: LogFields | string, b?: string) => this.log("debug", a, b);
  /** Write an info line. */
  info: LogFn = (a: LogFields | string, b?: string) => this.log("info", a, b);
  /** Write a warning line. */
  warn: LogFn = (a: LogFields | string, b?: string) => this.log("warn", a, b);
  /** Write an error line, followed by the error's stack when `fields.err` has one. */
  error: LogFn = (a: LogFields | string, b?: string) => this.log("error", a, b);

  // Logging must never be what fails: whatever a caller passes (a 10 MB message, an error
  // whose getters throw) and whatever the sink does, a line is written or dropped, never thrown.
  private log(level: LogLevel, a: LogFields | string, b?: string): void {
    try {
      if (LEVELS[level] < this.threshold) return;
      const fields = typeof a === "string" ? undefined : a;
      const msg = boundMessage(typeof a === "string" ? a : (b ?? ""));
      let line = `[${timestamp(new Date())}] [PID ${process.pid}] [${this.processName}] [${this.name}] [${LABELS[level]}] ${msg}\n`;
      const err = fields?.err;
      if (err !== undefined) {
        line += `${formatError(err, { limit: MAX_ERROR_TEXT, frames: 50 })}\n`;
      }
      this.write(line);
    } catch {
      // Nowhere left to report it.
    }
  }
}

let root: Logger = new ConsoleLogger();
const children = new Map<string, Logger>();

/** Replace the logger every taskq component writes to (pino, or anything with the same shape). */
export function setLogger(logger: Logger): void {
  root = logger;
  children.clear();
}

/** The current logger (see `setLogger`); with `name`, its child for that component. */
export function getLogger(name?: string): Logger {
  if (name === undefined) return root;
  let child = children.get(name);
  if (child === undefined) {
    child = root.child ? root.child({ name }) : root;
    children.set(name, child);
  }
  return child;
}

/**
 * A logger that follows `setLogger`: components create theirs at import time, before the
 * application has had a chance to plug its own in.
 */
export function lazyLogger(name: string): Logger {
  // An application's logger that throws must not turn a log line into a worker crash.
  const forward = (level: LogLevel): LogFn =>
    ((a: LogFields | string, b?: string) => {
      try {
        const target = getLogger(name);
        if (typeof a === "string") target[level](a);
        else target[level](a, b ?? "");
      } catch (err) {
        reportLoggerFailure(err);
      }
    }) as LogFn;
  return {
    debug: forward("debug"),
    info: forward("info"),
    warn: forward("warn"),
    error: forward("error"),
    isLevelEnabled: (level: LogLevel) => {
      try {
        const l = getLogger(name);
        return l.isLevelEnabled ? l.isLevelEnabled(level) : level !== "debug";
      } catch {
        return level !== "debug";
      }
    },
  };
}

let loggerFailureReported = false;

/** Say once, on stderr, that the configured logger throws: its lines are being lost. */
function reportLoggerFailure(err: unknown): void {
  if (loggerFailureReported) return;
  loggerFailureReported = true;
  try {
    process.stderr.write(
      `taskq: the configured logger threw (${formatError(err, { limit: 1024, frames: 3 })}); its log lines are dropped.\n`,
    );
  } catch {
    // stderr is gone too.
  }
}
