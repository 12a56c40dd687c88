import { describe, expect, test } from "vitest";
import type { ActorDeclaration } from "../src/index.js";
import {
  actor,
  getAbortSignal,
  getCurrentMessage,
  LocalBroker,
  StubBroker,
  TimeLimitExceeded,
} from "../src/index.js";
import { captureLogs } from "./helpers.js";

class Fatal extends Error {}

/** Every option the default middleware reads, with a value a team would really use. */
function everyOption(): ActorDeclaration {
  return {
    maxRetries: 3,
    minBackoff: 1000,
    maxBackoff: 60_000,
    backoffStrategy: "linear",
    jitter: false,
    retryWhen: (retries) => retries < 2,
    throws: Fatal,
    onRetryExhausted: "exhausted",
    maxAge: 3_600_000,
    timeLimit: 30_000,
    notifyShutdown: true,
    onSuccess: "succeeded",
    onFailure: "failed",
    pipeIgnore: false,
  };
}

describe("LocalBroker accepts the actors other brokers accept", () => {
  test("every option of the default middleware, with or without its own middleware list", async () => {
    const stub = new StubBroker();
    for (const local of [new LocalBroker(), new LocalBroker({ middleware: [] })]) {
      const missing = [...stub.actorOptions].filter((o) => !local.actorOptions.has(o));
      expect(missing).toEqual([]);
    }
    // Declared exactly as for a worker, and it runs.
    const local = new LocalBroker();
    const seen: string[] = [];
    for (const name of ["exhausted", "succeeded", "failed"]) {
      actor((_m: unknown, _r: unknown) => void seen.push(name), { broker: local, actorName: name });
    }
    const work = actor((n: number) => n + 1, {
      broker: local,
      actorName: "work",
      ...everyOption(),
    });
    await work.send(1);
    expect(seen).toEqual(["succeeded"]);
  });

  test("no retries inline: the first error rejects the send and onFailure runs, once", async () => {
    const logs = captureLogs();
    const local = new LocalBroker();
    const failures: unknown[] = [];
    actor((_m: unknown, info: unknown) => void failures.push(info), {
      broker: local,
      actorName: "failed",
    });
    let attempts = 0;
    const flaky = actor(
      () => {
        attempts++;
        throw new Error("down");
      },
      { broker: local, actorName: "flaky", maxRetries: 3, minBackoff: 1, onFailure: "failed" },
    );
    await expect(flaky.send()).rejects.toThrow("down");
    expect(attempts).toBe(1);
    expect(failures).toEqual([{ type: "Error", message: "down" }]);
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
  });

  test("timeLimit applies inline: the signal aborts and the send rejects with TimeLimitExceeded", async () => {
    captureLogs();
    const local = new LocalBroker();
    let signal: AbortSignal | undefined;
    let seenId: string | undefined;
    const slow = actor(
      async () => {
        signal = getAbortSignal();
        seenId = getCurrentMessage()?.messageId;
        await new Promise((resolve) => setTimeout(resolve, 2000));
      },
      { broker: local, actorName: "slow", timeLimit: 100 },
    );
    const started = Date.now();
    const sent = slow.send();
    await expect(sent).rejects.toBeInstanceOf(TimeLimitExceeded);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(TimeLimitExceeded);
    expect(typeof seenId).toBe("string");
  });
});
