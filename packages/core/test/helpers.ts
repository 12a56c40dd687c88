import type { LogFields, Logger, LogLevel } from "../src/index.js";
import { setLogger } from "../src/index.js";

export interface Captured {
  level: LogLevel;
  name: string;
  msg: string;
  err?: unknown;
}

/** Routes taskq's logs into an array, so tests stay quiet and can assert on log lines. */
export function captureLogs(): Captured[] {
  const lines: Captured[] = [];
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

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `check` until it is true; fail after `timeout` ms. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeout = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A promise with its resolve exposed: lets a test hold an actor until it says so. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}
