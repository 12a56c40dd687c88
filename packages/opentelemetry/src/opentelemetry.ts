import type {
  Attributes,
  Context,
  Link,
  Span,
  TextMapGetter,
  TextMapPropagator,
  TextMapSetter,
  Tracer,
  TracerProvider,
} from "@opentelemetry/api";
import {
  context,
  createContextKey,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { AfterProcessOutcome, Broker, Message, MessageProxy } from "@taskq/core";
import {
  defineOption,
  getCurrentMessage,
  lazyLogger,
  Middleware,
  qName,
  validateOptions,
} from "@taskq/core";
import { ATTR, describeThrown, SYSTEM } from "./attributes.js";
import type { Carrier } from "./carrier.js";
import { FIRST_ATTEMPT, getter, isEmpty, readCarrier, setter, TRACE_CTX } from "./carrier.js";

// `trace_ctx` is written by this middleware on every send; a user setting it by hand (as
// `traceCtx`) would only be overwritten, so it is refused with the reason.
defineOption("traceCtx", TRACE_CTX, () => "left to the OpenTelemetry middleware, which writes it");

/** Options of `new OpenTelemetry()`. */
export interface OpenTelemetryOptions {
  /** Where the spans go. Default: the global tracer provider, the one your SDK registered. */
  tracerProvider?: TracerProvider;
  /**
   * How trace context is written into the message option `trace_ctx` and read back. Default:
   * the global propagator, which the SDK sets to W3C trace context (`traceparent`,
   * `tracestate`) and baggage.
   */
  propagator?: TextMapPropagator;
}

/** What this middleware needs of a propagator; the global `propagation` API fits too. */
interface Propagates {
  inject(context: Context, carrier: Carrier, setter: TextMapSetter<Carrier>): void;
  extract(context: Context, carrier: Carrier, getter: TextMapGetter<Carrier>): Context;
}

/** A message being processed: its consumer span and the context the actor runs in. */
interface Consuming {
  span: Span;
  context: Context;
}

const INSTRUMENTATION = "@taskq/opentelemetry";
/** Marks a context as the inside of an actor (its consumer span, or spans under it). */
const IN_ACTOR = createContextKey("taskq.opentelemetry.inActor");
// Spans ride on the objects they belong to, under symbols (which no encoder writes): a
// WeakMap entry per message costs more, in garbage collection above all.
const CONSUMING = Symbol("taskq.opentelemetry.consuming");
const SENDING = Symbol("taskq.opentelemetry.sending");
type Tracked = MessageProxy & { [CONSUMING]?: Consuming };
type Processed = Message & { [CONSUMING]?: Consuming };
type Sent = Carrier & { [SENDING]?: Span };

const log = lazyLogger("taskq.opentelemetry");

/**
 * Whether a span neither records nor carries a context worth passing on: what the API's no-op
 * tracer returns when no SDK is registered (checked by identity first, which is cheaper).
 */
function isNoop(span: Span): boolean {
  if (span.isRecording()) return false;
  const spanContext = span.spanContext();
  return spanContext === INVALID_SPAN_CONTEXT || !isSpanContextValid(spanContext);
}

const hasMethods =
  (...names: string[]) =>
  (v: unknown): string | undefined =>
    typeof v === "object" &&
    v !== null &&
    names.every((n) => typeof (v as Record<string, unknown>)[n] === "function")
      ? undefined
      : names.length === 1
        ? `an object with a ${names[0]} method`
        : `an object with ${names.join(" and ")} methods`;

/**
 * OpenTelemetry tracing for taskq (DESIGN §15), following the messaging semantic conventions:
 * a PRODUCER span `send <queue>` for every send and a CONSUMER span `process <queue>` for every
 * attempt, a child of the producer's context, which travels in the message option `trace_ctx`.
 * While the actor runs, its consumer span is the active one, so the actor's own spans nest
 * under it; what the actor's message hands on (a retry, a callback, the next pipeline step,
 * a group's completion callback) stays in the same trace. Each retry's attempt links to the
 * first attempt. A message without `trace_ctx` (sent by Dramatiq, say) starts a new trace.
 *
 * Without an SDK the API's no-op tracer makes every span a no-op, and nothing is written
 * into messages. Add it first in the list, so that its span covers the other middleware:
 * `broker.addMiddleware(new OpenTelemetry(), { before: AgeLimit })`.
 */
export class OpenTelemetry extends Middleware {
  private readonly tracer: Tracer;
  private readonly propagator: Propagates;
  /** Ids of delayed messages this process holds: moving one to its queue is not a send. */
  private readonly delayed = new Set<string>();
  private warnedEmpty = false;

  constructor(options: OpenTelemetryOptions = {}) {
    super();
    validateOptions("OpenTelemetry", options, {
      tracerProvider: hasMethods("getTracer"),
      propagator: hasMethods("inject", "extract"),
    });
    const provider = options.tracerProvider ?? trace.getTracerProvider();
    // The global provider is a proxy: spans go to whichever SDK is registered, even later.
    this.tracer = provider.getTracer(INSTRUMENTATION);
    this.propagator = options.propagator ?? propagation;
  }

  override beforeEnqueue(_broker: Broker, message: Message, delay: number | undefined): void {
    if (this.delayed.size > 0 && this.delayed.delete(message.messageId)) return;
    const options = message.options;
    const retries = options.retries;
    if (typeof retries === "number" && retries > 0) {
      this.linkRetry(message);
      return;
    }
    const parent = this.parentContext();
    const queueName = qName(message.queueName);
    const attributes: Attributes = {
      [ATTR.system]: SYSTEM,
      [ATTR.operationType]: "send",
      [ATTR.operationName]: "send",
      [ATTR.destination]: queueName,
      [ATTR.messageId]: message.messageId,
      [ATTR.actorName]: message.actorName,
    };
    if (delay !== undefined && delay > 0) attributes[ATTR.delay] = delay;
    const span = this.tracer.startSpan(
      `send ${queueName}`,
      { kind: SpanKind.PRODUCER, attributes },
      parent,
    );
    if (isNoop(span)) return; // no SDK: nothing to carry
    const recording = span.isRecording();
    const carrier: Carrier = {};
    this.propagator.inject(trace.setSpan(parent, span), carrier, setter);
    if (isEmpty(carrier)) {
      if (recording) {
        this.warnNoPropagator();
        span.end();
      }
      return;
    }
    // The producer span waits on the carrier until the broker has the message (a broker may
    // hand back a copy of the message, never a copy of its options' values).
    if (recording) (carrier as Sent)[SENDING] = span;
    options[TRACE_CTX] = carrier;
  }

  override afterEnqueue(_broker: Broker, message: Message): void {
    const carrier = readCarrier(message.options[TRACE_CTX]) as Sent | undefined;
    const span = carrier?.[SENDING];
    if (span === undefined) return;
    // Deleted, not set to undefined: the message's trace_ctx holds only what travels.
    delete carrier![SENDING];
    span.end();
  }

  override beforeDelayMessage(_broker: Broker, message: MessageProxy): void {
    this.delayed.add(message.messageId);
  }

  override afterWorkerShutdown(): void {
    // Delayed messages not moved by now went back to the broker.
    this.delayed.clear();
  }

  override beforeProcessMessage(_broker: Broker, message: MessageProxy): void {
    const options = message.options;
    const carrier = readCarrier(options[TRACE_CTX]);
    // From the root, not the active context: a message is a child of its producer only.
    const parent =
      carrier === undefined ? ROOT_CONTEXT : this.propagator.extract(ROOT_CONTEXT, carrier, getter);
    const retries = typeof options.retries === "number" ? options.retries : 0;
    const attributes: Attributes = {
      [ATTR.system]: SYSTEM,
      [ATTR.operationType]: "process",
      [ATTR.operationName]: "process",
      [ATTR.destination]: message.queueName,
      [ATTR.messageId]: message.messageId,
      [ATTR.actorName]: message.actorName,
      [ATTR.retries]: retries,
    };
    const links = carrier === undefined ? undefined : this.firstAttemptLink(carrier);
    const span = this.tracer.startSpan(
      `process ${message.queueName}`,
      { kind: SpanKind.CONSUMER, attributes, links },
      parent,
    );
    if (isNoop(span)) return;
    const state: Consuming = {
      span,
      context: trace.setSpan(parent, span).setValue(IN_ACTOR, true),
    };
    (message as Tracked)[CONSUMING] = state;
    // Also on the message object: sends made on its behalf find it through getCurrentMessage().
    (message.message as Processed)[CONSUMING] = state;
  }

  override aroundProcessMessage(
    _broker: Broker,
    message: MessageProxy,
    call: () => Promise<unknown>,
  ): Promise<unknown> {
    const state = (message as Tracked)[CONSUMING];
    return state === undefined ? call() : context.with(state.context, call);
  }

  override afterProcessMessage(
    _broker: Broker,
    message: MessageProxy,
    outcome: AfterProcessOutcome,
  ): void {
    const span = this.release(message);
    if (span === undefined) return;
    try {
      if ("exception" in outcome) {
        const { type, message: text } = describeThrown(outcome.exception);
        span.setAttribute(ATTR.errorType, type);
        span.recordException(
          outcome.exception instanceof Error ? outcome.exception : { name: type, message: text },
        );
        span.setStatus({ code: SpanStatusCode.ERROR, message: text });
      }
    } finally {
      span.end();
    }
  }

  override afterSkipMessage(_broker: Broker, message: MessageProxy): void {
    const span = this.release(message);
    if (span === undefined) return;
    span.setAttribute(ATTR.skipped, true);
    span.end();
  }

  private release(message: MessageProxy): Span | undefined {
    const state = (message as Tracked)[CONSUMING];
    if (state === undefined) return undefined;
    (message as Tracked)[CONSUMING] = undefined;
    return state.span;
  }

  /**
   * The parent of a send: the active context inside an actor or outside any worker; for a
   * send a middleware makes on behalf of the message being processed (a retry, a callback,
   * the next step), after its actor has returned, that message's consumer span.
   */
  private parentContext(): Context {
    const active = context.active();
    if (active.getValue(IN_ACTOR) !== undefined) return active;
    const current = getCurrentMessage();
    if (current !== undefined) {
      const state = (current as Processed)[CONSUMING];
      if (state !== undefined) return state.context;
    }
    return active;
  }

  /**
   * A retry is no new send: it keeps its producer's context, and the first attempt's span is
   * added to `trace_ctx` so that every later attempt links to it.
   */
  private linkRetry(message: Message): void {
    const current = getCurrentMessage();
    if (current === undefined || current.messageId !== message.messageId) return;
    const state = (current as Processed)[CONSUMING];
    // Not isRecording(): this middleware's own after hook may have ended the span already.
    if (state === undefined || !isSpanContextValid(state.span.spanContext())) return;
    const carrier = readCarrier(message.options[TRACE_CTX]);
    if (carrier !== undefined && readCarrier(carrier[FIRST_ATTEMPT]) !== undefined) return;
    const first: Carrier = {};
    this.propagator.inject(trace.setSpan(ROOT_CONTEXT, state.span), first, setter);
    if (isEmpty(first)) return;
    message.options[TRACE_CTX] = { ...carrier, [FIRST_ATTEMPT]: first };
  }

  private firstAttemptLink(carrier: Carrier): Link[] | undefined {
    const first = readCarrier(carrier[FIRST_ATTEMPT]);
    if (first === undefined) return undefined;
    const spanContext = trace.getSpanContext(this.propagator.extract(ROOT_CONTEXT, first, getter));
    return spanContext !== undefined && isSpanContextValid(spanContext)
      ? [{ context: spanContext }]
      : undefined;
  }

  private warnNoPropagator(): void {
    if (this.warnedEmpty) return;
    this.warnedEmpty = true;
    log.warn(
      "No propagator wrote trace context into a message, so its actor will start a new trace. Register one (the SDK's NodeSDK does; with a bare provider: propagation.setGlobalPropagator(new W3CTraceContextPropagator())) or pass OpenTelemetry({ propagator }).",
    );
  }
}
