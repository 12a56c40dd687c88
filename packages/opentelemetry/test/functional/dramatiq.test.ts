import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trace } from "@opentelemetry/api";
import { RedisBroker } from "@taskq/broker-redis";
import { actor, defaultMiddleware, getCurrentMessage, Worker } from "@taskq/core";
import { findDramatiq } from "@taskq/test-servers";
import { afterEach, describe, expect, inject, test } from "vitest";
import { OpenTelemetry } from "../../src/index.js";
import { captureLogs, eventually, registerSdk, summarize } from "../helpers.js";

// A real Dramatiq 2.x on the run's Redis, in Dramatiq's default layout (namespace
// "dramatiq"), when DRAMATIQ_SRC names its source tree; skipped, with the reason, otherwise.
const dramatiq = findDramatiq();
const sdk = registerSdk();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function broker(): RedisBroker {
  const b = new RedisBroker({
    url: inject("redisUrl"),
    namespace: "dramatiq",
    middleware: [new OpenTelemetry(), ...defaultMiddleware()],
  });
  cleanups.push(() => b.close());
  return b;
}

describe("OpenTelemetry with a real Dramatiq on Redis", () => {
  if (typeof dramatiq === "string") {
    test.skip(`skipped: ${dramatiq}`, () => {});
    return;
  }
  const d = dramatiq;

  test("messages sent by Dramatiq (no trace_ctx) each start a new trace in a taskq worker", async () => {
    captureLogs();
    sdk.exporter.reset();
    const b = broker();
    const ran: string[] = [];
    actor(() => void ran.push(getCurrentMessage()?.messageId ?? ""), {
      broker: b,
      actorName: "ts_record",
      queueName: "interop_ts",
      maxRetries: 0,
    });
    const worker = new Worker(b, { concurrency: 2, workerTimeout: 100 });
    await worker.start();
    cleanups.push(() => worker.stop());
    d.send("redis", inject("redisUrl"), join(tmpdir(), "unused"));
    await eventually(() => ran.length === 3, 20_000, "3 messages from Dramatiq");

    await sdk.provider.forceFlush();
    const spans = sdk.exporter.getFinishedSpans().map(summarize);
    const consumers = spans.filter((s) => s.kind === "CONSUMER");
    expect(consumers.map((c) => c.attributes["messaging.message.id"]).sort()).toEqual(
      [...ran].sort(),
    );
    for (const c of consumers) expect(c.parentSpanId).toBeUndefined();
    expect(new Set(consumers.map((c) => c.traceId)).size).toBe(3);
    // Dramatiq's delayed message was moved to its queue by the worker: that is no send.
    expect(spans.filter((s) => s.kind === "PRODUCER")).toEqual([]);
  });

  test("messages taskq sends with trace_ctx run in a Dramatiq worker, which keeps the option as it was", async () => {
    const out = join(tmpdir(), `taskq-otel-${process.pid}-${Date.now()}.jsonl`);
    const b = broker();
    const pyRecord = actor((..._args: unknown[]) => undefined, {
      broker: b,
      actorName: "py_record",
      queueName: "interop_py",
    });
    const child = d.worker("redis", inject("redisUrl"), out);
    let stderr = "";
    child.stderr?.on("data", (c) => {
      stderr += c;
    });
    cleanups.push(async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(out, { force: true });
    });
    const sent = await trace.getTracer("test").startActiveSpan("POST /py", async (span) => {
      const plain = await pyRecord.send(1);
      const delayed = await pyRecord.sendWithOptions({ args: [2], delay: 300 });
      span.end();
      return [plain, delayed];
    });
    const lines = () => {
      try {
        return readFileSync(out, "utf8")
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => JSON.parse(l) as { message_id: string; options: Record<string, unknown> });
      } catch {
        return [];
      }
    };
    await eventually(() => lines().length === 2, 30_000, "Dramatiq to run both messages").catch(
      (err: Error) => {
        throw new Error(`${err.message} (its stderr: ${stderr.slice(-2000)})`);
      },
    );
    const byId = new Map(lines().map((l) => [l.message_id, l.options]));
    for (const m of sent) {
      expect(m.options.trace_ctx).toEqual({ traceparent: expect.stringMatching(/^00-/) });
      expect(byId.get(m.messageId)?.trace_ctx).toEqual(m.options.trace_ctx);
    }
  });
});
