// A real OpenTelemetry SDK for the benches: a BasicTracerProvider with a BatchSpanProcessor
// whose queue is large enough that no span is dropped (so every span is paid for in full),
// an exporter that counts and discards, AsyncLocalStorage context, W3C trace context.
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";

/** Register the SDK globally; returns how many spans it exported so far and how to take it down. */
export function registerSdk(maxQueueSize) {
  let exported = 0;
  const exporter = {
    export(spans, done) {
      exported += spans.length;
      done({ code: 0 });
    },
    async shutdown() {},
  };
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize, maxExportBatchSize: 512 })],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    exported: () => exported,
    async teardown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
