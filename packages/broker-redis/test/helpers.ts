import { randomUUID } from "node:crypto";
import type { LogFields, Logger, LogLevel } from "@taskq/core";
import { setLogger } from "@taskq/core";
import { inject } from "vitest";
import type { RedisBrokerOptions } from "../src/index.js";
import { RedisBroker } from "../src/index.js";

export interface Captured {
  level: LogLevel;
  msg: string;
  err?: unknown;
}

/** Route taskq's logs into an array: quiet tests that can assert on what was said. */
export function captureLogs(): Captured[] {
  const lines: Captured[] = [];
  const at =
    (level: LogLevel) =>
    (a: LogFields | string, b?: string): void => {
      if (typeof a === "string") lines.push({ level, msg: a });
      else lines.push({ level, msg: b ?? "", err: a.err });
    };
  const logger: Logger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
  setLogger(logger);
  return lines;
}

/** A broker on the run's Redis, in a namespace of its own. */
export function makeBroker(options: RedisBrokerOptions = {}): RedisBroker {
  return new RedisBroker({
    url: inject("redisUrl"),
    namespace: `test-${randomUUID()}`,
    ...options,
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeout = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(20);
  }
}
