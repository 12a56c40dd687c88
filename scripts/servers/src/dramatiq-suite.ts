import { randomUUID } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actor, type Broker, getCurrentMessage, Worker } from "@taskq/core";
import { waitUntil } from "@taskq/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { findDramatiq } from "./dramatiq.js";

interface Line {
  args: unknown[];
  kwargs: Record<string, unknown>;
  message_id: string;
  options?: Record<string, unknown>;
}

function lines(file: string): Line[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Line);
  } catch {
    return [];
  }
}

/**
 * A real Dramatiq process and taskq on one broker, both ways: Dramatiq's producer sends to a
 * taskq worker, and taskq sends to a Dramatiq worker (plain, keyword and delayed messages).
 * Skipped, with the reason, unless `DRAMATIQ_SRC` names a Dramatiq 2.x source tree.
 * `makeBroker` must give a broker in Dramatiq's default layout (Redis namespace "dramatiq").
 */
export function dramatiqInteropSuite(
  kind: "redis" | "rabbitmq",
  url: () => string,
  makeBroker: () => Broker,
): void {
  const dramatiq = findDramatiq();
  const skip = typeof dramatiq === "string" ? dramatiq : undefined;
  describe(`a real Dramatiq on ${kind}`, () => {
    if (skip !== undefined) {
      // The reason shows in the report, so a skipped interop run is never mistaken for a pass.
      it.skip(`skipped: ${skip}`, () => {});
      return;
    }
    const d = dramatiq as Exclude<typeof dramatiq, string>;
    const cleanups: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    it("Dramatiq's producer sends, a taskq worker runs the messages (args, kwargs, delay)", async () => {
      const broker = makeBroker();
      const got: { args: unknown[]; id: string }[] = [];
      actor(
        (...args: unknown[]) => {
          got.push({ args, id: getCurrentMessage()?.messageId ?? "" });
        },
        { broker, actorName: "ts_record", queueName: "interop_ts", maxRetries: 0 },
      );
      const worker = new Worker(broker, { concurrency: 2 });
      await worker.start();
      cleanups.push(async () => {
        await worker.stop();
        await broker.close();
      });
      d.send(kind, url(), join(tmpdir(), "unused"));
      await waitUntil(() => got.length === 3, {
        timeout: 20_000,
        what: "3 messages from Dramatiq",
      });
      const byFirst = new Map(got.map((g) => [g.args[0], g.args]));
      expect(byFirst.get(1)).toEqual([1, "two", { three: [3] }]);
      // Python kwargs reach the function as one trailing object.
      expect(byFirst.get("kw")).toEqual(["kw", { flag: true }]);
      expect(byFirst.get("delayed")).toEqual(["delayed"]);
      for (const g of got) expect(g.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("taskq sends, a Dramatiq worker runs the messages (args, delay)", async () => {
      const out = join(tmpdir(), `taskq-interop-${randomUUID()}.jsonl`);
      const broker = makeBroker();
      const pyRecord = actor((..._args: unknown[]) => undefined, {
        broker,
        actorName: "py_record",
        queueName: "interop_py",
      });
      const child = d.worker(kind, url(), out);
      let stderr = "";
      child.stderr?.on("data", (c) => {
        stderr += c;
      });
      cleanups.push(async () => {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
        await broker.close();
        rmSync(out, { force: true });
      });
      const plain = await pyRecord.send(1, "two", { three: [3] });
      const delayed = await pyRecord.sendWithOptions({ args: ["later"], delay: 500 });
      await waitUntil(() => lines(out).length === 2, {
        timeout: 30_000,
        what: `Dramatiq to run 2 messages (its stderr: ${stderr.slice(-2000)})`,
      });
      const byId = new Map(lines(out).map((l) => [l.message_id, l]));
      expect(byId.get(plain.messageId)?.args).toEqual([1, "two", { three: [3] }]);
      expect(byId.get(delayed.messageId)?.args).toEqual(["later"]);
    });
  });
}
