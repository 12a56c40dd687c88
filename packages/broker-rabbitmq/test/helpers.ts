import type { LogFields, Logger, LogLevel } from "@taskq/core";
import { setLogger } from "@taskq/core";
import { inject } from "vitest";
import type { RabbitmqBrokerOptions } from "../src/index.js";
import { RabbitmqBroker } from "../src/index.js";

export interface Captured {
  level: LogLevel;
  msg: string;
  err?: unknown;
}

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

export function makeBroker(options: RabbitmqBrokerOptions = {}): RabbitmqBroker {
  return new RabbitmqBroker({ url: inject("amqpUrl"), connectionTimeout: 5000, ...options });
}

/** A queue name no other test uses (RabbitMQ has no namespaces). */
export function uniqueQueue(prefix = "q"): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
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
