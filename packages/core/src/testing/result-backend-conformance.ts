import { createHash, randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { ResultFailure, ResultMissing, ResultTimeout } from "../errors.js";
import { Message } from "../message.js";
import type { ResultBackend } from "../results/result-backend.js";
import { trackInstances } from "./instances.js";
import { sleep } from "./wait.js";

/** Makes a fresh result backend for one test of the conformance suite. */
export type MakeResultBackend = () => ResultBackend | Promise<ResultBackend>;

/** Options of `resultBackendConformance`. */
export interface ResultBackendConformanceOptions {
  /** Suite title. Default "result backend conformance". */
  name?: string;
  /** Per-test timeout, ms. Default 30 000. */
  timeout?: number;
  /** Release a backend after a test (close its connection). */
  destroy?: (backend: ResultBackend) => Promise<void>;
  /**
   * Smallest TTL the backend honours, ms (memcached counts whole seconds). The expiry test
   * stores with this TTL and checks after twice as long plus a margin. Default 200.
   */
  minTtl?: number;
}

function message(queueName = "results"): Message {
  return new Message({ queueName, actorName: "compute", args: [], messageId: randomUUID() });
}

/**
 * What every result backend must do: store and get values in Dramatiq's shapes and keys,
 * ResultMissing / ResultTimeout / ResultFailure, blocking gets that wake on store, TTLs.
 */
export function resultBackendConformance(
  makeBackend: MakeResultBackend,
  options: ResultBackendConformanceOptions = {},
): void {
  const timeout = options.timeout ?? 30_000;
  const minTtl = options.minTtl ?? 200;

  describe(options.name ?? "result backend conformance", () => {
    const setup = trackInstances(makeBackend, options.destroy);

    test.each([
      ["a number", 42],
      ["a string", "héllo ✓"],
      ["null", null],
      ["a list", [1, "two", { three: 3 }]],
      ["an object", { nested: { list: [true, false] } }],
    ])("stores and returns %s", { timeout }, async (_what, value) => {
      const backend = await setup();
      const m = message();
      await backend.storeResult(m, value, 60_000);
      expect(await backend.getResult(m)).toEqual(value);
    });

    test("a missing result is ResultMissing without block", { timeout }, async () => {
      const backend = await setup();
      await expect(backend.getResult(message())).rejects.toBeInstanceOf(ResultMissing);
    });

    test("a blocking get gives up with ResultTimeout after about its timeout", {
      timeout,
    }, async () => {
      const backend = await setup();
      const started = Date.now();
      await expect(
        backend.getResult(message(), { block: true, timeout: 300 }),
      ).rejects.toBeInstanceOf(ResultTimeout);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(3000);
    });

    test("a blocking get resolves once the result is stored", { timeout }, async () => {
      const backend = await setup();
      const m = message();
      const pending = backend.getResult(m, { block: true, timeout: 10_000 });
      await sleep(200);
      await backend.storeResult(m, "late", 60_000);
      expect(await pending).toBe("late");
    });

    test("a stored failure is ResultFailure with the original type and message", {
      timeout,
    }, async () => {
      const backend = await setup();
      const m = message();
      class QuotaExceeded extends Error {}
      await backend.storeException(m, new QuotaExceeded("over the limit"), 60_000);
      const error = await backend.getResult(m).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResultFailure);
      expect((error as ResultFailure).origExcType).toBe("QuotaExceeded");
      expect((error as ResultFailure).origExcMsg).toBe("over the limit");
      expect((error as Error).message).toBe("actor raised QuotaExceeded: over the limit");
    });

    test("results expire after their TTL", { timeout }, async () => {
      const backend = await setup();
      const m = message();
      await backend.storeResult(m, 1, minTtl);
      expect(await backend.getResult(m)).toBe(1);
      await sleep(minTtl * 2 + 300);
      await expect(backend.getResult(m)).rejects.toBeInstanceOf(ResultMissing);
    });

    test("keys are Dramatiq's: md5 of namespace:queue:actor:id, delay and dead-letter suffixes dropped", {
      timeout,
    }, async () => {
      const backend = await setup();
      const m = message("emails");
      const expected = createHash("md5")
        .update(`${backend.namespace}:emails:compute:${m.messageId}`)
        .digest("hex");
      expect(backend.buildMessageKey(m)).toBe(expected);
      expect(backend.buildMessageKey(m.copy({ queueName: "emails.DQ" }))).toBe(expected);
      expect(backend.buildMessageKey(m.copy({ queueName: "emails.XQ" }))).toBe(expected);
      // A result stored for the delayed copy is found from the original message.
      await backend.storeResult(m.copy({ queueName: "emails.DQ" }), "same key", 60_000);
      expect(await backend.getResult(m)).toBe("same key");
    });
  });
}
