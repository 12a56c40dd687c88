import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { waitUntil } from "@taskq/core/testing";

export { captureLogs, sleep } from "@taskq/core/testing";

/** A span as the tests compare it (the cross-process fixtures send the same shape). */
export interface SpanSummary {
  name: string;
  kind: "PRODUCER" | "CONSUMER" | "INTERNAL" | "SERVER" | "CLIENT";
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  status: { code: number; message?: string };
  events: string[];
  pid: number;
}

export function summarize(span: ReadableSpan): SpanSummary {
  const own = span.spanContext();
  return {
    name: span.name,
    kind: SpanKind[span.kind] as SpanSummary["kind"],
    traceId: own.traceId,
    spanId: own.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
    status: { ...span.status },
    events: span.events.map((e) => e.name),
    pid: process.pid,
  };
}

/**
 * An SDK as an application registers it: the global tracer provider (spans kept in memory),
 * AsyncLocalStorage context and W3C trace context propagation.
 */
export function registerSdk(): { exporter: InMemorySpanExporter; provider: BasicTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return { exporter, provider };
}

/** Poll until `check` holds; fail after `timeout` ms. */
export function eventually(
  check: () => boolean | Promise<boolean>,
  timeout = 10_000,
  what = "condition",
): Promise<void> {
  return waitUntil(check, { timeout, what });
}

/** The one span named `name`; fails naming what there is otherwise. */
export function only(spans: SpanSummary[], name: string): SpanSummary {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected one span ${name}, found ${found.length} among ${spans.map((s) => s.name).join(", ")}`,
    );
  }
  return found[0]!;
}
