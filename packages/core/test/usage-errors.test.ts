import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  actor,
  GroupCallbacks,
  group,
  InvalidArgument,
  Message,
  StubBroker,
  StubRateLimiterBackend,
  TaskqError,
  Worker,
} from "../src/index.js";
import { captureLogs } from "./helpers.js";

/** A usage error as callers branch on it: a TaskqError with the stable code, not a bare Error. */
async function usageError(run: () => unknown): Promise<InvalidArgument> {
  let caught: unknown;
  try {
    await run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TaskqError);
  expect(caught).toBeInstanceOf(InvalidArgument);
  expect((caught as TaskqError).code).toBe("TASKQ_INVALID_ARGUMENT");
  return caught as InvalidArgument;
}

const KEY = Symbol.for("@taskq/core.globalBroker");
let worker: Worker | undefined;

afterEach(async () => {
  await worker?.stop({ timeout: 2000 });
  worker = undefined;
});

describe("usage errors are TaskqErrors with a stable code", () => {
  test("no global broker, an unknown actor option, no result backend", async () => {
    captureLogs();
    const globals = globalThis as Record<symbol, unknown>;
    const saved = globals[KEY];
    delete globals[KEY];
    try {
      const { getBroker } = await import("../src/index.js");
      expect((await usageError(() => getBroker())).message).toMatch(/setBroker/);
      await usageError(() => actor(() => 1, { actorName: "orphan" }));
      await usageError(() =>
        new Message({ queueName: "default", actorName: "x", args: [] }).getResult(),
      );
    } finally {
      globals[KEY] = saved;
    }
    const broker = new StubBroker();
    const e = await usageError(() =>
      actor(() => 1, { broker, actorName: "a", maxRetry: 3 } as Record<string, unknown>),
    );
    expect(e.message).toMatch(/Unknown option "maxRetry"/);
    await usageError(() => broker.getResultsBackend());
  });

  test("completion callbacks without GroupCallbacks, and a group run twice", async () => {
    const bare = new StubBroker();
    const a = actor(() => 1, { broker: bare, actorName: "a" });
    const g = group([a.message()], { broker: bare }).addCompletionCallback(a.message());
    expect((await usageError(() => g.run())).message).toMatch(/GroupCallbacks middleware/);

    const withCallbacks = new StubBroker();
    withCallbacks.addMiddleware(new GroupCallbacks(new StubRateLimiterBackend()));
    const b = actor(() => 1, { broker: withCallbacks, actorName: "b" });
    const once = group([b.message()], { broker: withCallbacks }).addCompletionCallback(b.message());
    await once.run();
    expect((await usageError(() => once.run())).message).toMatch(/a group runs once/);
  });

  test("a worker started twice", async () => {
    captureLogs();
    const broker = new StubBroker();
    worker = new Worker(broker, { workerTimeout: 50 });
    await worker.start();
    expect((await usageError(() => worker!.start())).message).toMatch(/starts once/);
  });

  test("core's sources throw no bare Error, TypeError or RangeError at a user", () => {
    const src = join(import.meta.dirname, "..", "src");
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          // The vitest suites of @taskq/core/testing fail tests, not users' calls.
          if (entry.name !== "testing") walk(path);
        } else if (entry.name.endsWith(".ts")) {
          readFileSync(path, "utf8")
            .split("\n")
            .forEach((line, i) => {
              if (/throw new (Error|TypeError|RangeError)\(/.test(line))
                offenders.push(`${path}:${i + 1}`);
            });
        }
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
  });
});
