import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { Middleware } from "@taskq/core";
import {
  actor,
  Callbacks,
  defaultMiddleware,
  GroupCallbacks,
  group,
  InvalidArgument,
  LocalBroker,
  Message,
  Pipelines,
  pipeline,
  Results,
  StubBroker,
  StubRateLimiterBackend,
  StubResultBackend,
  Worker,
} from "@taskq/core";
import { afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { OpenTelemetry } from "../../src/index.js";
import type { SpanSummary } from "../helpers.js";
import { captureLogs, only, registerSdk, sleep, summarize } from "../helpers.js";

const sdk = registerSdk();
const tracer = trace.getTracer("test");
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  captureLogs();
});
beforeEach(() => {
  sdk.exporter.reset();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Order = "first" | "last";

/** A StubBroker with the default middleware and OpenTelemetry first (recommended) or last. */
function makeBroker(order: Order = "first", extra: Middleware[] = []): StubBroker {
  const otel = new OpenTelemetry();
  const middleware =
    order === "first"
      ? [otel, ...defaultMiddleware(), ...extra]
      : [...defaultMiddleware(), ...extra, otel];
  return new StubBroker({ middleware });
}

async function startWorker(broker: StubBroker): Promise<Worker> {
  const worker = new Worker(broker, { concurrency: 4, workerTimeout: 50 });
  await worker.start();
  cleanups.push(() => worker.stop({ timeout: 5000 }));
  return worker;
}

async function spans(): Promise<SpanSummary[]> {
  await sdk.provider.forceFlush();
  return sdk.exporter.getFinishedSpans().map(summarize);
}

/** Run `fn` inside a span named `name`, as an instrumented HTTP server would. */
function inSpan<T>(
  name: string,
  fn: () => Promise<T>,
): Promise<{ result: T; spanId: string; traceId: string }> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      const result = await fn();
      return { result, ...span.spanContext() };
    } finally {
      span.end();
    }
  });
}

describe("OpenTelemetry on StubBroker", () => {
  test("a send is a PRODUCER span and its attempt a CONSUMER span, named and attributed by the messaging conventions, in the trace of the request that sent it", async () => {
    const broker = makeBroker();
    const seen: { active?: string; inner?: string } = {};
    const work = actor(
      async (n: number) => {
        seen.active = trace.getActiveSpan()?.spanContext().spanId;
        await tracer.startActiveSpan("http GET upstream", async (span) => {
          await sleep(1);
          span.end();
        });
        return n * 2;
      },
      { broker, actorName: "work", queueName: "jobs" },
    );
    await startWorker(broker);
    const request = await inSpan("GET /orders", () => work.send(21));
    await broker.join("jobs");

    const all = await spans();
    const send = only(all, "send jobs");
    const process = only(all, "process jobs");
    const inner = only(all, "http GET upstream");
    expect(send).toMatchObject({
      kind: "PRODUCER",
      traceId: request.traceId,
      parentSpanId: request.spanId,
      attributes: {
        "messaging.system": "taskq",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": "jobs",
        "messaging.message.id": request.result.messageId,
        "messaging.taskq.message.actor_name": "work",
      },
    });
    expect(process).toMatchObject({
      kind: "CONSUMER",
      traceId: request.traceId,
      parentSpanId: send.spanId,
      attributes: {
        "messaging.system": "taskq",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": "jobs",
        "messaging.message.id": request.result.messageId,
        "messaging.taskq.message.actor_name": "work",
        "messaging.taskq.message.retries": 0,
      },
      status: { code: SpanStatusCode.UNSET },
      links: [],
    });
    // Inside the actor its consumer span is the active one, so the actor's spans nest under it.
    expect(seen.active).toBe(process.spanId);
    expect(inner).toMatchObject({ traceId: request.traceId, parentSpanId: process.spanId });
    // W3C trace context in the message option trace_ctx, naming the producer span.
    expect(request.result.options.trace_ctx).toEqual({
      traceparent: `00-${request.traceId}-${send.spanId}-01`,
    });
  });

  test.each<Order>(["first", "last"])(
    "a failed attempt records the exception and sets ERROR; every retry is a child of the one producer span and links to the first attempt (middleware %s)",
    async (order) => {
      const broker = makeBroker(order);
      let calls = 0;
      const flaky = actor(
        () => {
          calls++;
          if (calls < 3) throw new TypeError(`failure ${calls}`);
          return "ok";
        },
        { broker, actorName: "flaky", maxRetries: 5, minBackoff: 10, maxBackoff: 20 },
      );
      await startWorker(broker);
      const request = await inSpan("POST /flaky", () => flaky.send());
      await broker.join("default");

      const all = await spans();
      const send = only(all, "send default");
      const attempts = all
        .filter((s) => s.name === "process default")
        .sort(
          (a, b) =>
            (a.attributes["messaging.taskq.message.retries"] as number) -
            (b.attributes["messaging.taskq.message.retries"] as number),
        );
      expect(attempts.map((a) => a.attributes["messaging.taskq.message.retries"])).toEqual([
        0, 1, 2,
      ]);
      for (const a of attempts) {
        expect(a.traceId).toBe(request.traceId);
        expect(a.parentSpanId).toBe(send.spanId);
      }
      const [first, second, third] = attempts as [SpanSummary, SpanSummary, SpanSummary];
      expect(first.links).toEqual([]);
      expect(second.links).toEqual([{ traceId: request.traceId, spanId: first.spanId }]);
      expect(third.links).toEqual([{ traceId: request.traceId, spanId: first.spanId }]);
      for (const [a, n] of [
        [first, 1],
        [second, 2],
      ] as const) {
        expect(a.status).toEqual({ code: SpanStatusCode.ERROR, message: `failure ${n}` });
        expect(a.attributes["error.type"]).toBe("TypeError");
        expect(a.events).toEqual(["exception"]);
      }
      expect(third.status.code).toBe(SpanStatusCode.UNSET);
      expect(third.attributes["error.type"]).toBeUndefined();
      // A retry is no new send: one producer span in all.
      expect(all.filter((s) => s.kind === "PRODUCER")).toHaveLength(1);
    },
  );

  test("an attempt its time limit interrupts ends ERROR with TimeLimitExceeded, while the actor's later spans still nest under it", async () => {
    const broker = makeBroker();
    const slow = actor(
      async () => {
        await sleep(300);
        tracer.startSpan("after the deadline").end();
      },
      { broker, actorName: "slow", timeLimit: 50, maxRetries: 0 },
    );
    await startWorker(broker);
    await slow.send();
    await broker.join("default", { failFast: false });
    await sleep(400);

    const all = await spans();
    const process = only(all, "process default");
    expect(process.status.code).toBe(SpanStatusCode.ERROR);
    expect(process.attributes["error.type"]).toBe("TimeLimitExceeded");
    expect(only(all, "after the deadline").parentSpanId).toBe(process.spanId);
  });

  test("what an actor sends, a pipeline's steps, a group's members and its completion callback all stay in the trace of the code that ran the composition", async () => {
    const results = new StubResultBackend();
    const broker = makeBroker("first", [
      new Results({ backend: results }),
      new GroupCallbacks(new StubRateLimiterBackend()),
    ]);
    const notify = actor((_: string) => undefined, { broker, actorName: "notify" });
    const step1 = actor(
      async (n: number) => {
        await notify.send("from step1"); // sent from inside the actor
        return n + 1;
      },
      { broker, actorName: "step1" },
    );
    const step2 = actor((n: number) => n * 10, { broker, actorName: "step2" });
    const member = actor((n: number) => n, { broker, actorName: "member" });
    const done = actor(() => undefined, { broker, actorName: "done" });
    await startWorker(broker);
    const run = await inSpan("POST /compose", async () => {
      await pipeline([step1.message(1), step2.message()], { broker }).run();
      const g = group([member.message(1), member.message(2)], { broker });
      g.addCompletionCallback(done.message());
      await g.run();
    });
    await broker.join("default");

    const all = await spans();
    const names = all.map((s) => s.name);
    expect(names.filter((n) => n === "process default")).toHaveLength(6);
    expect(names.filter((n) => n === "send default")).toHaveLength(6);
    for (const s of all) expect(s.traceId, s.name).toBe(run.traceId);
    const byActor = (kind: string, actorName: string) =>
      all.filter(
        (s) => s.kind === kind && s.attributes["messaging.taskq.message.actor_name"] === actorName,
      );
    const consumerOf = (actorName: string) => byActor("CONSUMER", actorName)[0]!;
    const producerOf = (actorName: string) => byActor("PRODUCER", actorName)[0]!;
    // Sent by the request: the first step and both members.
    expect(producerOf("step1").parentSpanId).toBe(run.spanId);
    for (const p of byActor("PRODUCER", "member")) expect(p.parentSpanId).toBe(run.spanId);
    // Sent on behalf of a processed message: children of its consumer span.
    expect(producerOf("notify").parentSpanId).toBe(consumerOf("step1").spanId);
    expect(producerOf("step2").parentSpanId).toBe(consumerOf("step1").spanId);
    const members = byActor("CONSUMER", "member").map((s) => s.spanId);
    expect(members).toContain(producerOf("done").parentSpanId);
    expect(consumerOf("done").parentSpanId).toBe(producerOf("done").spanId);
  });

  test("a message without trace_ctx, as Dramatiq sends it, starts a new trace, whatever context the worker was started in", async () => {
    const broker = makeBroker();
    const ran: unknown[] = [];
    actor((...args: unknown[]) => void ran.push(args[0]), { broker, actorName: "py" });
    const boot = await inSpan("worker boot", () => startWorker(broker));
    const dramatiq = (id: string, options: Record<string, unknown>) =>
      JSON.stringify({
        queue_name: "default",
        actor_name: "py",
        args: [id],
        kwargs: {},
        options,
        message_id: id,
        message_timestamp: Date.now(),
      });
    broker.enqueueBytes("default", dramatiq("plain", {}));
    // What another producer may put there is no trace context either.
    broker.enqueueBytes("default", dramatiq("string", { trace_ctx: "00-abc" }));
    broker.enqueueBytes("default", dramatiq("array", { trace_ctx: ["x"] }));
    broker.enqueueBytes("default", dramatiq("garbage", { trace_ctx: { traceparent: "zz" } }));
    await broker.join("default");

    expect(ran.sort()).toEqual(["array", "garbage", "plain", "string"]);
    const consumers = (await spans()).filter((s) => s.name === "process default");
    expect(consumers).toHaveLength(4);
    for (const c of consumers) {
      expect(c.parentSpanId).toBeUndefined();
      expect(c.traceId).not.toBe(boot.traceId);
    }
    expect(new Set(consumers.map((c) => c.traceId)).size).toBe(4);
  });

  test("a delayed send is one PRODUCER span to the real queue; moving the message off the delay queue is no new send", async () => {
    const broker = makeBroker();
    const later = actor(() => undefined, { broker, actorName: "later" });
    await startWorker(broker);
    const request = await inSpan("schedule", () => later.sendWithOptions({ args: [], delay: 100 }));
    await broker.join("default");

    const all = await spans();
    const send = only(all, "send default");
    expect(send.parentSpanId).toBe(request.spanId);
    expect(send.attributes["messaging.destination.name"]).toBe("default");
    expect(send.attributes["messaging.taskq.message.delay"]).toBe(100);
    expect(only(all, "process default").parentSpanId).toBe(send.spanId);
  });

  test("a message skipped by the age limit ends its span marked skipped, not failed", async () => {
    const broker = makeBroker();
    let ran = false;
    const stale = actor(
      () => {
        ran = true;
      },
      { broker, actorName: "stale" },
    );
    await stale.sendWithOptions({ args: [], maxAge: 1 });
    await sleep(20);
    await startWorker(broker);
    await broker.join("default", { failFast: false });

    expect(ran).toBe(false);
    const process = only(await spans(), "process default");
    expect(process.attributes["messaging.taskq.message.skipped"]).toBe(true);
    expect(process.status.code).toBe(SpanStatusCode.UNSET);
  });

  test("a message with trace_ctx is still a Dramatiq message: the seven fields in Dramatiq's order, trace_ctx a JSON object of strings", async () => {
    const broker = makeBroker();
    const a = actor(() => undefined, { broker, actorName: "a" });
    const { result } = await inSpan("send", () => a.send());
    const wire = JSON.parse(new TextDecoder().decode(result.encode()));
    expect(Object.keys(wire)).toEqual([
      "queue_name",
      "actor_name",
      "args",
      "kwargs",
      "options",
      "message_id",
      "message_timestamp",
    ]);
    expect(wire.options.trace_ctx).toEqual({ traceparent: expect.stringMatching(/^00-/) });
    expect(Message.decode(result.encode()).options.trace_ctx).toEqual(wire.options.trace_ctx);
  });

  test("with LocalBroker the attempt runs inside its send, in the caller's trace", async () => {
    const broker = new LocalBroker({
      middleware: [new OpenTelemetry(), new Callbacks(), new Pipelines()],
    });
    let active: string | undefined;
    const a = actor(
      () => {
        active = trace.getActiveSpan()?.spanContext().spanId;
      },
      { broker, actorName: "a" },
    );
    const script = await inSpan("script", () => a.send());
    const all = await spans();
    const send = only(all, "send default");
    const process = only(all, "process default");
    expect(send.parentSpanId).toBe(script.spanId);
    expect(process).toMatchObject({ traceId: script.traceId, parentSpanId: send.spanId });
    expect(active).toBe(process.spanId);
  });

  test("bad options are refused with the reason", async () => {
    expect(() => new OpenTelemetry({ tracerProvider: 5 as never })).toThrow(InvalidArgument);
    expect(() => new OpenTelemetry({ tracerProvider: 5 as never })).toThrow(
      "OpenTelemetry option tracerProvider must be an object with a getTracer method, got 5",
    );
    expect(() => new OpenTelemetry({ propagator: {} as never })).toThrow(
      /option propagator must be an object with inject and extract methods/,
    );
    const broker = makeBroker();
    const a = actor(() => undefined, { broker, actorName: "a" });
    await expect(a.sendWithOptions({ args: [], traceCtx: {} } as never)).rejects.toThrow(
      /traceCtx .* must be left to the OpenTelemetry middleware/,
    );
  });
});
