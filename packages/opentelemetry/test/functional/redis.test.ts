import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, inject, test } from "vitest";
import type { SpanSummary } from "../helpers.js";
import { eventually, only } from "../helpers.js";

const children: ChildProcess[] = [];
/** The fixtures' stderr (the worker logs the failing attempt), shown when a wait fails. */
let stderr = "";
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  stderr = "";
});

/** A fixture process that reports the spans it ends. */
function spawn(name: string, namespace: string, spans: SpanSummary[]): ChildProcess {
  const child = fork(
    fileURLToPath(new URL(`../fixtures/${name}.mjs`, import.meta.url)),
    [inject("redisUrl"), namespace],
    {
      env: { ...process.env, TASKQ_LOG_LEVEL: "error" },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    },
  );
  children.push(child);
  child.stderr?.on("data", (c) => {
    stderr += c;
  });
  child.on("message", (m: { spans?: SpanSummary[] }) => {
    if (m.spans) spans.push(...m.spans);
  });
  return child;
}

function nextMessage(child: ChildProcess, key: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on("message", (m: Record<string, unknown>) => {
      if (m[key] !== undefined) resolve();
    });
    child.once("exit", (code) => reject(new Error(`fixture exited with ${code} before ${key}`)));
  });
}

describe("OpenTelemetry on Redis, across processes", () => {
  test("a producer process and a worker process share one trace: request → send → process → the actor's own span; a retry links to the first attempt", async () => {
    const namespace = `otel-${randomUUID()}`;
    const spans: SpanSummary[] = [];
    const worker = spawn("worker", namespace, spans);
    await nextMessage(worker, "ready");
    const producer = spawn("producer", namespace, spans);
    await nextMessage(producer, "done");

    const attempts = () =>
      spans.filter(
        (s) =>
          s.kind === "CONSUMER" && s.attributes["messaging.taskq.message.actor_name"] === "flaky",
      );
    await eventually(
      () => attempts().length === 2 && spans.some((s) => s.name === "inner work"),
      20_000,
      "the worker to run work and both attempts of flaky",
    ).catch((err: Error) => {
      throw new Error(`${err.message} (fixtures' stderr: ${stderr.slice(-2000)})`);
    });

    const request = only(spans, "POST /orders");
    const sends = spans.filter((s) => s.kind === "PRODUCER");
    expect(sends).toHaveLength(2);
    const sendOf = (actorName: string) =>
      sends.find((s) => s.attributes["messaging.taskq.message.actor_name"] === actorName)!;
    const consumer = spans.find(
      (s) => s.kind === "CONSUMER" && s.attributes["messaging.taskq.message.actor_name"] === "work",
    )!;
    const inner = only(spans, "inner work");

    // Two processes, neither of them this one.
    expect(request.pid).not.toBe(consumer.pid);
    expect(new Set(spans.map((s) => s.pid)).has(process.pid)).toBe(false);
    for (const s of spans) expect(s.traceId, s.name).toBe(request.traceId);
    for (const s of sends) {
      expect(s.pid).toBe(request.pid);
      expect(s.parentSpanId).toBe(request.spanId);
      expect(s.attributes["messaging.destination.name"]).toBe("jobs");
    }
    expect(consumer.pid).not.toBe(request.pid);
    expect(consumer.parentSpanId).toBe(sendOf("work").spanId);
    expect(inner.parentSpanId).toBe(consumer.spanId);

    const [first, second] = attempts().sort(
      (a, b) =>
        (a.attributes["messaging.taskq.message.retries"] as number) -
        (b.attributes["messaging.taskq.message.retries"] as number),
    ) as [SpanSummary, SpanSummary];
    expect(first.parentSpanId).toBe(sendOf("flaky").spanId);
    expect(second.parentSpanId).toBe(sendOf("flaky").spanId);
    expect(first.status.code).toBe(2); // ERROR
    expect(first.events).toEqual(["exception"]);
    expect(second.status.code).toBe(0); // UNSET
    expect(second.links).toEqual([{ traceId: request.traceId, spanId: first.spanId }]);

    worker.send("stop");
    await new Promise((r) => worker.once("exit", r));
  });
});
