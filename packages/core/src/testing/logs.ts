import type { LogFields, Logger, LogLevel } from "../logger.js";
import { setLogger } from "../logger.js";

/** One log record captured by `captureLogs`. */
export interface CapturedLog {
  /** Its level. */
  level: LogLevel;
  /** The component that logged (`taskq.Worker`, ...). */
  name: string;
  /** Its text. */
  msg: string;
  /** The error it carried (`fields.err`), if any. */
  err?: unknown;
}

/**
 * Route every taskq log line into the returned array (and out of stderr): quiet tests that
 * can assert on what was logged. Call again to start a fresh array.
 */
export function captureLogs(): CapturedLog[] {
  const lines: CapturedLog[] = [];
  const make = (name: string): Logger => {
    const at =
      (level: LogLevel) =>
      (a: LogFields | string, b?: string): void => {
        if (typeof a === "string") lines.push({ level, name, msg: a });
        else lines.push({ level, name, msg: b ?? "", err: a.err });
      };
    return {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      child: ({ name: child }) => make(child),
      isLevelEnabled: () => true,
    };
  };
  setLogger(make("taskq"));
  return lines;
}
