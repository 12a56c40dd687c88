import { beforeEach, describe, expect, test } from "vitest";
import type { Broker, Message, MessageProxy } from "../src/index.js";
import {
  AgeLimit,
  actor,
  Callbacks,
  Middleware,
  MiddlewareError,
  Pipelines,
  Retries,
  ShutdownNotifications,
  SkipMessage,
  StubBroker,
  TimeLimit,
  Worker,
} from "../src/index.js";
import { captureLogs } from "./helpers.js";

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});

async function runOne(broker: StubBroker, send: () => Promise<unknown>): Promise<void> {
  const worker = new Worker(broker, { workerTimeout: 50 });
  await worker.start();
  try {
    await send();
    await broker.join("default", { failFast: false, timeout: 5000 });
  } finally {
    await worker.stop({ timeout: 2000 });
  }
}

describe("middleware", () => {
  test("the default list is AgeLimit, TimeLimit, ShutdownNotifications, Callbacks, Pipelines, Retries", () => {
    const broker = new StubBroker();
    expect(broker.middleware.map((m) => m.constructor)).toEqual([
      AgeLimit,
      TimeLimit,
      ShutdownNotifications,
      Callbacks,
      Pipelines,
      Retries,
    ]);
  });

  test("before hooks run in list order and after hooks in reverse", async () => {
    const calls: string[] = [];
    const make = (name: string) =>
      new (class extends Middleware {
        override beforeProcessMessage() {
          calls.push(`before ${name}`);
        }
        override afterProcessMessage() {
          calls.push(`after ${name}`);
        }
      })();
    const broker = new StubBroker({ middleware: [make("A"), make("B"), make("C")] });
    const a = actor(() => void calls.push("actor"), { broker, actorName: "a" });
    await runOne(broker, () => a.send());
    expect(calls).toEqual([
      "before A",
      "before B",
      "before C",
      "actor",
      "after C",
      "after B",
      "after A",
    ]);
  });

  test("addMiddleware places a middleware before or after a given class, and says when that class is missing", () => {
    const broker = new StubBroker();
    class Mine extends Middleware {}
    broker.addMiddleware(new Mine(), { before: Retries });
    expect(broker.middleware.at(-2)).toBeInstanceOf(Mine);
    broker.addMiddleware(new Mine(), { after: AgeLimit });
    expect(broker.middleware[1]).toBeInstanceOf(Mine);
    class Absent extends Middleware {}
    expect(() => broker.addMiddleware(new Mine(), { after: Absent })).toThrow(
      /no Absent middleware/,
    );
  });

  test("a hook that throws is logged and ignored; the message is still processed and acked", async () => {
    const broker = new StubBroker();
    broker.addMiddleware(
      new (class Faulty extends Middleware {
        override beforeProcessMessage() {
          throw new Error("faulty before");
        }
        override async afterProcessMessage() {
          throw new Error("faulty after");
        }
      })(),
    );
    const ran: number[] = [];
    const a = actor((n: number) => void ran.push(n), { broker, actorName: "a" });
    await runOne(broker, () => a.send(1));
    expect(ran).toEqual([1]);
    expect(broker.deadLetters).toHaveLength(0);
    const errors = logs.filter((l) => l.level === "error").map((l) => l.msg);
    expect(errors).toEqual([
      "Unexpected failure in beforeProcessMessage of Faulty; ignored.",
      "Unexpected failure in afterProcessMessage of Faulty; ignored.",
    ]);
  });

  test("SkipMessage from beforeProcessMessage skips the actor and reaches afterSkipMessage, not afterProcessMessage", async () => {
    const broker = new StubBroker();
    const events: string[] = [];
    broker.addMiddleware(
      new (class extends Middleware {
        override beforeProcessMessage(_b: Broker, m: MessageProxy) {
          if (m.args[0] === "skip") throw new SkipMessage("not today");
        }
        override afterProcessMessage(_b: Broker, m: MessageProxy) {
          events.push(`processed ${String(m.args[0])}`);
        }
        override afterSkipMessage(_b: Broker, m: MessageProxy) {
          events.push(`skipped ${String(m.args[0])}`);
        }
      })(),
    );
    const a = actor((s: string) => void events.push(`ran ${s}`), { broker, actorName: "a" });
    await runOne(broker, async () => {
      await a.send("skip");
      await a.send("run");
    });
    expect(events).toEqual(["skipped skip", "ran run", "processed run"]);
    // A skipped message that was not failed is acked, not dead-lettered.
    expect(broker.deadLetters).toHaveLength(0);
  });

  test("a MiddlewareError from a before hook propagates and fails the attempt", async () => {
    const broker = new StubBroker();
    broker.addMiddleware(
      new (class extends Middleware {
        override beforeProcessMessage() {
          throw new MiddlewareError("refused");
        }
      })(),
    );
    let ran = false;
    const a = actor(
      () => {
        ran = true;
      },
      { broker, actorName: "a", maxRetries: 0 },
    );
    await runOne(broker, () => a.send());
    expect(ran).toBe(false);
    expect(broker.deadLetters).toHaveLength(1);
    expect((broker.deadLetters[0]!.exception as Error).message).toBe("refused");
  });

  test("async hooks are awaited in order", async () => {
    const calls: string[] = [];
    const broker = new StubBroker({ middleware: [] });
    broker.addMiddleware(
      new (class extends Middleware {
        override async beforeEnqueue(_b: Broker, m: Message) {
          await new Promise((r) => setTimeout(r, 20));
          calls.push(`slow ${m.actorName}`);
        }
      })(),
    );
    broker.addMiddleware(
      new (class extends Middleware {
        override beforeEnqueue(_b: Broker, m: Message) {
          calls.push(`fast ${m.actorName}`);
        }
      })(),
    );
    const a = actor(() => undefined, { broker, actorName: "a" });
    await a.send();
    expect(calls).toEqual(["slow a", "fast a"]);
  });

  test("ack and nack hooks see each message settle", async () => {
    const broker = new StubBroker();
    const seen: string[] = [];
    broker.addMiddleware(
      new (class extends Middleware {
        override beforeAck(_b: Broker, m: MessageProxy) {
          seen.push(`beforeAck ${String(m.args[0])}`);
        }
        override afterAck(_b: Broker, m: MessageProxy) {
          seen.push(`afterAck ${String(m.args[0])}`);
        }
        override afterNack(_b: Broker, m: MessageProxy) {
          seen.push(`afterNack ${String(m.args[0])}`);
        }
      })(),
    );
    const a = actor(
      (x: string) => {
        if (x === "bad") throw new Error("bad");
      },
      { broker, actorName: "a", maxRetries: 0 },
    );
    await runOne(broker, async () => {
      await a.send("good");
      await broker.join("default", { failFast: false });
      await a.send("bad");
    });
    expect(seen).toEqual(["beforeAck good", "afterAck good", "afterNack bad"]);
  });

  test("a middleware added late sees the actors and queues declared before it", () => {
    const broker = new StubBroker();
    actor(() => undefined, { broker, actorName: "early", queueName: "q1" });
    const seen: string[] = [];
    broker.addMiddleware(
      new (class extends Middleware {
        override afterDeclareActor(_b: Broker, a: { actorName: string }) {
          seen.push(`actor ${a.actorName}`);
        }
        override afterDeclareQueue(_b: Broker, q: string) {
          seen.push(`queue ${q}`);
        }
        override afterDeclareDelayQueue(_b: Broker, q: string) {
          seen.push(`delay ${q}`);
        }
      })(),
    );
    expect(seen).toEqual(["actor early", "queue q1", "delay q1.DQ"]);
  });
});
