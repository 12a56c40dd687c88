import { trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { actor, defaultMiddleware, StubBroker, Worker } from "@taskq/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { OpenTelemetry } from "../../src/index.js";
import { captureLogs, only, summarize } from "../helpers.js";

// This file registers nothing globally: the OpenTelemetry API is left with its no-op tracer,
// propagator and context manager, as in an application without an SDK.
const cleanups: (() => Promise<void>)[] = [];
let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function process(broker: StubBroker): Promise<void> {
  const worker = new Worker(broker, { workerTimeout: 50 });
  await worker.start();
  cleanups.push(() => worker.stop({ timeout: 5000 }));
  await broker.join("default", { failFast: false });
}

function local() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, provider };
}

describe("OpenTelemetry without a registered SDK", () => {
  test("nothing is written into messages and actors and retries run as before", async () => {
    expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false);
    const broker = new StubBroker({ middleware: [new OpenTelemetry(), ...defaultMiddleware()] });
    let calls = 0;
    const flaky = actor(
      (n: number) => {
        calls++;
        if (calls === 1) throw new Error("once");
        return n;
      },
      { broker, actorName: "flaky", minBackoff: 10, maxBackoff: 10 },
    );
    const sent = await trace.getTracer("test").startActiveSpan("no-op request", async (span) => {
      const m = await flaky.send(1);
      span.end();
      return m;
    });
    expect(sent.options).toEqual({});
    await process(broker);
    expect(calls).toBe(2);
    expect(broker.deadLetters).toHaveLength(0);
  });

  test("a tracerProvider and a propagator given to the middleware are used with nothing registered globally", async () => {
    const { exporter, provider } = local();
    const broker = new StubBroker({
      middleware: [
        new OpenTelemetry({
          tracerProvider: provider,
          propagator: new W3CTraceContextPropagator(),
        }),
        ...defaultMiddleware(),
      ],
    });
    const a = actor(() => undefined, { broker, actorName: "a" });
    const sent = await a.send();
    await process(broker);
    const spans = exporter.getFinishedSpans().map(summarize);
    const send = only(spans, "send default");
    const consumer = only(spans, "process default");
    expect(consumer.traceId).toBe(send.traceId);
    expect(consumer.parentSpanId).toBe(send.spanId);
    expect(sent.options.trace_ctx).toEqual({
      traceparent: `00-${send.traceId}-${send.spanId}-01`,
    });
  });

  test("with a tracer but no propagator, sends are still traced and a warning says that trace context does not travel", async () => {
    const { exporter, provider } = local();
    const broker = new StubBroker({
      middleware: [new OpenTelemetry({ tracerProvider: provider }), ...defaultMiddleware()],
    });
    const a = actor(() => undefined, { broker, actorName: "a" });
    const first = await a.send();
    await a.send();
    await process(broker);
    expect(first.options.trace_ctx).toBeUndefined();
    const spans = exporter.getFinishedSpans().map(summarize);
    expect(spans.filter((s) => s.name === "send default")).toHaveLength(2);
    for (const c of spans.filter((s) => s.name === "process default")) {
      expect(c.parentSpanId).toBeUndefined();
    }
    const warnings = logs.filter((l) => l.level === "warn" && /propagator/.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/W3CTraceContextPropagator/);
  });
});
