import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Broker, Message, MessageProxy } from "../src/index.js";
import {
  ActorNotFound,
  actor,
  ConsoleLogger,
  DecodeError,
  EncodeError,
  getEncoder,
  InvalidArgument,
  Message as MessageClass,
  Middleware,
  readOption,
  SkipMessage,
  StubBroker,
  setLogger,
  Worker,
} from "../src/index.js";
import { captureLogs, eventually } from "./helpers.js";

let broker: StubBroker;
let worker: Worker | undefined;
let logs: ReturnType<typeof captureLogs>;

const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => void unhandled.push(err);
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
  process.on("uncaughtException", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  process.off("uncaughtException", onUnhandled);
});

beforeEach(() => {
  logs = captureLogs();
  broker = new StubBroker();
  worker = undefined;
  unhandled.length = 0;
});

afterEach(async () => {
  await worker?.stop({ timeout: 2000 });
  expect(unhandled, "no unhandled rejection or uncaught exception").toEqual([]);
});

async function startWorker(): Promise<Worker> {
  worker = new Worker(broker, { workerTimeout: 50 });
  await worker.start();
  return worker;
}

/** A wire message for `actor_name`, with some fields replaced. */
function raw(fields: Record<string, unknown>): string {
  return JSON.stringify({
    queue_name: "default",
    actor_name: "a",
    args: [],
    kwargs: {},
    options: {},
    message_id: crypto.randomUUID(),
    message_timestamp: Date.now(),
    ...fields,
  });
}

function nested(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

describe("decoding is bounded", () => {
  test("a message nested deeper than 256 levels is a DecodeError that says so; 256 decode", () => {
    // The message object is level 1 and args level 2: 254 more arrays make 256 in all.
    const ok = raw({ args: ["X"] }).replace('"X"', nested(254));
    expect(MessageClass.decode(Buffer.from(ok)).args).toHaveLength(1);
    const deep = raw({ args: ["X"] }).replace('"X"', nested(255));
    expect(() => MessageClass.decode(Buffer.from(deep))).toThrow(DecodeError);
    expect(() => MessageClass.decode(Buffer.from(deep))).toThrow(/deeper than 256 levels/);
    // Brackets inside strings, escaped quotes included, do not count.
    const text = raw({ args: [`\\"${"[".repeat(1000)}`] });
    expect(MessageClass.decode(Buffer.from(text)).args).toHaveLength(1);
  });

  test("5,000 levels are refused in linear time, and on encode with an EncodeError", () => {
    const started = performance.now();
    const deep = raw({ args: ["X"] }).replace('"X"', nested(5000));
    expect(() => MessageClass.decode(deep)).toThrow(DecodeError);
    expect(performance.now() - started).toBeLessThan(1000);
    let value: unknown = [];
    for (let i = 0; i < 300; i++) value = [value];
    const m = new MessageClass({ queueName: "default", actorName: "a", args: [value] });
    expect(() => m.encode()).toThrow(EncodeError);
    expect(() => m.encode()).toThrow(/nests deeper than 256 levels/);
  });

  test("bytes that are not valid UTF-8 are a DecodeError, not a silently changed payload", () => {
    const [before, after] = raw({ args: ["HERE"] }).split("HERE") as [string, string];
    const bytes = Buffer.concat([
      Buffer.from(before),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(after),
    ]);
    expect(() => getEncoder().decode(bytes)).toThrow(/not valid UTF-8/);
    expect(() => MessageClass.decode(bytes)).toThrow(DecodeError);
  });
});

describe("a message never crashes a worker", () => {
  test("a failing actor's 10 MB message gives bounded log lines, at every level, per attempt", async () => {
    let attempts = 0;
    actor(
      (_s: string) => {
        attempts++;
        throw new Error("boom");
      },
      { broker, actorName: "a", maxRetries: 1, minBackoff: 1 },
    );
    await startWorker();
    broker.enqueueBytes("default", raw({ args: ["x".repeat(10 * 1024 * 1024)] }));
    await broker.join("default", { failFast: false, timeout: 10_000 });
    expect(attempts).toBe(2);
    const failures = logs.filter((l) => l.msg.startsWith("Failed to process message"));
    expect(failures).toHaveLength(2);
    for (const line of logs) expect(line.msg.length, line.msg.slice(0, 100)).toBeLessThan(2048);
    expect(failures[0]!.msg).toMatch(/…\(\d+ more bytes\)/);
    // The "Received args=…" debug line too (captureLogs enables debug).
    expect(logs.some((l) => l.level === "debug" && l.msg.startsWith("Received args="))).toBe(true);
  });

  test("an actor that throws a hostile value is retried and dead-lettered, and described safely", async () => {
    const hostile = [
      Object.create(null),
      new Proxy(
        {},
        {
          get() {
            throw new Error("trap");
          },
          getPrototypeOf() {
            throw new Error("trap");
          },
        },
      ),
      Symbol("odd"),
      Object.defineProperty(new Error("x"), "message", {
        get() {
          throw new Error("getter");
        },
      }),
    ];
    let i = 0;
    actor(
      () => {
        throw hostile[i++ % hostile.length];
      },
      { broker, actorName: "a", maxRetries: 1, minBackoff: 1 },
    );
    const lines: string[] = [];
    setLogger(new ConsoleLogger({ level: "debug", write: (l) => lines.push(l) }));
    await startWorker();
    for (let n = 0; n < hostile.length; n++) await broker.getActor("a").send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(broker.deadLetters).toHaveLength(hostile.length);
    for (const letter of broker.deadLetters) {
      expect(typeof letter.message?.options.traceback).toBe("string");
    }
    expect(lines.filter((l) => l.includes("Failed to process message"))).toHaveLength(8);
  });

  test("an actor that returns a hostile value fails its message; the worker goes on", async () => {
    const trap = () =>
      new Proxy(
        {},
        {
          get() {
            throw new Error("trap");
          },
        },
      );
    const done: string[] = [];
    const a = actor((kind: string) => (kind === "hostile" ? trap() : void done.push(kind)), {
      broker,
      actorName: "a",
      maxRetries: 0,
    });
    await startWorker();
    await a.send("hostile");
    await a.send("fine");
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(done).toEqual(["fine"]);
    expect(broker.deadLetters).toHaveLength(1);
    expect((broker.deadLetters[0]!.exception as Error).message).toBe("trap");
  });

  test("the default ConsoleLogger never throws and stays bounded, whatever it is given", () => {
    const lines: string[] = [];
    const log = new ConsoleLogger({ level: "debug", write: (l) => lines.push(l) });
    const noString = Object.create(null);
    const huge = new Error("m".repeat(1_000_000));
    expect(() => log.error({ err: noString }, "no toString")).not.toThrow();
    expect(() => log.error({ err: huge }, "x".repeat(1_000_000))).not.toThrow();
    expect(() => log.info(undefined as unknown as string)).not.toThrow();
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.length).toBeLessThan(40_000);
    const failing = new ConsoleLogger({
      write: () => {
        throw new Error("EPIPE");
      },
    });
    expect(() => failing.error("lost")).not.toThrow();
  });

  test("a logger that throws costs its lines, never a message or the worker", async () => {
    const thrower = () => {
      throw new Error("logger down");
    };
    setLogger({ debug: thrower, info: thrower, warn: thrower, error: thrower });
    const done: number[] = [];
    const a = actor(
      (n: number) => {
        if (n === 0) throw new Error("fails");
        done.push(n);
      },
      { broker, actorName: "a", maxRetries: 0 },
    );
    await startWorker();
    await a.send(0);
    await a.send(1);
    broker.enqueueBytes("default", "{not json");
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(done).toEqual([1]);
    expect(broker.deadLetters).toHaveLength(2);
  });

  test("every hook's sync throw and async rejection is contained to its message", async () => {
    const hooks = [
      "beforeEnqueue",
      "afterEnqueue",
      "beforeDelayMessage",
      "beforeProcessMessage",
      "afterProcessMessage",
      "afterSkipMessage",
      "beforeAck",
      "afterAck",
      "beforeNack",
      "afterNack",
    ] as const;
    // What a hook throws may be hostile too: a Proxy that even `instanceof` cannot look at.
    const hostile = () =>
      new Proxy(
        {},
        {
          getPrototypeOf() {
            throw new Error("trap");
          },
        },
      );
    class Thrower extends Middleware {}
    class Rejecter extends Middleware {}
    for (const name of hooks) {
      (Thrower.prototype as unknown as Record<string, () => void>)[name] = () => {
        throw hostile();
      };
      (Rejecter.prototype as unknown as Record<string, () => Promise<void>>)[name] = async () => {
        throw new TypeError(`async ${name}`);
      };
    }
    broker.addMiddleware(new Thrower());
    broker.addMiddleware(new Rejecter());
    class Skipper extends Middleware {
      override beforeProcessMessage(_b: Broker, m: MessageProxy): void {
        if (m.args[0] === "skip") throw new SkipMessage("skipped");
      }
    }
    broker.addMiddleware(new Skipper());
    const seen: string[] = [];
    const a = actor(
      (what: string) => {
        seen.push(what);
        if (what === "fail") throw new Error("fails");
      },
      { broker, actorName: "a", maxRetries: 0 },
    );
    await startWorker();
    await a.send("ok");
    await a.send("fail");
    await a.send("skip");
    await a.sendWithOptions({ args: ["later"], delay: 10 });
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(seen.sort()).toEqual(["fail", "later", "ok"]);
    expect(broker.deadLetters).toHaveLength(1);
    const reported = logs.filter((l) => l.msg.startsWith("Unexpected failure in"));
    expect(reported.length).toBeGreaterThanOrEqual(hooks.length * 2);
  });
});

describe("a hand-off that fails does not ack", () => {
  test("a retry whose queue is not declared dead-letters the message, with the reason", async () => {
    let attempts = 0;
    actor(
      () => {
        attempts++;
        throw new Error("boom");
      },
      { broker, actorName: "a", maxRetries: 3, minBackoff: 1 },
    );
    await startWorker();
    broker.enqueueBytes("default", raw({ queue_name: "nowhere" }));
    await expect(broker.join("default", { timeout: 5000 })).rejects.toThrow("boom");
    expect(attempts).toBe(1);
    expect(broker.deadLetters).toHaveLength(1);
    const traceback = String(broker.deadLetters[0]!.message?.options.traceback);
    expect(traceback).toMatch(/^Could not enqueue the retry: QueueNotFound: Queue "nowhere"/);
    expect(traceback).toContain("The attempt failed with:\nError: boom");
    expect(logs.some((l) => /moved to the dead letters/.test(l.msg))).toBe(true);
  });

  test("a success callback naming an undeclared actor dead-letters the message; join says why", async () => {
    const a = actor(() => 1, { broker, actorName: "a", onSuccess: "nobody" });
    await startWorker();
    await a.send();
    await expect(broker.join("default", { timeout: 5000 })).rejects.toBeInstanceOf(ActorNotFound);
    expect(broker.deadLetters).toHaveLength(1);
    expect(String(broker.deadLetters[0]!.message?.options.traceback)).toMatch(
      /^Could not enqueue success callback nobody: ActorNotFound/,
    );
  });

  test("a TypeError from the broker is not permanent: the message is given back and runs again", async () => {
    let attempts = 0;
    actor(
      () => {
        attempts++;
        throw new Error("x");
      },
      { broker, actorName: "a", maxRetries: 1, minBackoff: 1 },
    );
    const original = broker.enqueue.bind(broker);
    let refused = 0;
    broker.enqueue = (async (message, options) => {
      if (message.options.retries === 1 && refused === 0) {
        refused++;
        throw new TypeError("socket is null");
      }
      return original(message, options);
    }) as typeof broker.enqueue;
    await startWorker();
    await broker.getActor("a").send();
    await broker.join("default", { failFast: false, timeout: 5000 });
    expect(refused).toBe(1);
    expect(attempts).toBe(3);
    expect(broker.deadLetters).toHaveLength(1);
  });
});

describe("option lookups read own properties only", () => {
  test("sendWithOptions with an option named like an Object.prototype member sends it as is", async () => {
    const a = actor((_n: number) => undefined, { broker, actorName: "a" });
    const m = await a.sendWithOptions({ args: [1], constructor: 1 } as never);
    expect(Object.hasOwn(m.options, "constructor")).toBe(true);
    expect(m.options.constructor).toBe(1);
    const proto = { ["__proto__"]: { max_retries: 0 } } as Record<string, unknown>;
    const built = a.messageWithOptions({ args: [1], ...proto } as never);
    expect(Object.hasOwn(built.options, "__proto__")).toBe(true);
    expect(built.options.max_retries).toBeUndefined();
    expect(MessageClass.decode(built.encode()).options).toEqual(built.options);
  });

  test("getActor of prototype names is ActorNotFound; such options are unknown at declaration", () => {
    actor(() => undefined, { broker, actorName: "a" });
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(() => broker.getActor(name)).toThrow(ActorNotFound);
      expect(broker.findActor(name)).toBeUndefined();
    }
    expect(() =>
      actor(() => undefined, { broker, actorName: "b", constructor: 1 } as never),
    ).toThrow(InvalidArgument);
    expect(() =>
      actor(() => undefined, {
        broker,
        actorName: "c",
        ...({ ["__proto__"]: { maxRetries: 0 } } as object),
      }),
    ).toThrow(/Unknown option "__proto__"/);
  });

  test("readOption never takes a value from the prototype of a message's options", () => {
    const options = Object.create({ max_retries: 0 }) as Record<string, unknown>;
    expect(readOption(options, undefined, "maxRetries")).toBeUndefined();
    const copied = new MessageClass({ queueName: "default", actorName: "a", args: [] }).copy({
      options: JSON.parse('{"__proto__": {"max_retries": 0}}') as Record<string, unknown>,
    });
    expect(copied.options.max_retries).toBeUndefined();
    expect(Object.hasOwn(copied.options, "__proto__")).toBe(true);
  });
});

describe("the last error is kept on the message", () => {
  test("retries and dead letters carry a traceback option of at most 4 KB", async () => {
    const seen: Message[] = [];
    broker.addMiddleware(
      new (class extends Middleware {
        override afterEnqueue(_b: Broker, m: Message) {
          seen.push(m);
        }
      })(),
    );
    actor(
      () => {
        throw new RangeError(`too far: ${"é".repeat(1_000_000)}`);
      },
      { broker, actorName: "a", maxRetries: 1, minBackoff: 1 },
    );
    await startWorker();
    await broker.getActor("a").send();
    await expect(broker.join("default", { timeout: 5000 })).rejects.toThrow(RangeError);
    const retry = seen.find((m) => m.options.retries === 1)!;
    const dead = broker.deadLetters[0]!.message!;
    for (const text of [retry.options.traceback, dead.options.traceback]) {
      expect(typeof text).toBe("string");
      expect(Buffer.byteLength(text as string)).toBeLessThanOrEqual(4096);
      expect(text).toMatch(/^RangeError: too far: é/);
    }
    expect(String(dead.options.traceback)).toMatch(/more bytes\)\n {4}at /);
    // The listing operators read shows it.
    const [listed] = await broker.getDeadLetters("default");
    expect(listed!.message?.options.traceback).toBe(dead.options.traceback);
  });

  test("an unknown actor's dead letter says ActorNotFound", async () => {
    await startWorker();
    actor(() => undefined, { broker, actorName: "known" });
    broker.enqueueBytes("default", raw({ actor_name: "ghost" }));
    await expect(broker.join("default", { timeout: 5000 })).rejects.toBeInstanceOf(ActorNotFound);
    expect(String(broker.deadLetters[0]!.message?.options.traceback)).toMatch(
      /^ActorNotFound: Actor "ghost" is not declared/,
    );
  });
});

describe("pause", () => {
  test("a paused worker takes no more messages from the queue; resume fetches and runs them", async () => {
    const done: number[] = [];
    const a = actor((n: number) => void done.push(n), { broker, actorName: "a" });
    const w = await startWorker();
    w.pause();
    for (let i = 0; i < 5; i++) await a.send(i);
    // Several fetch timeouts (50 ms) pass: a paused worker must not take them.
    await new Promise((r) => setTimeout(r, 300));
    expect(broker.queueSize("default")).toBe(5);
    expect(done).toEqual([]);
    w.resume();
    await eventually(() => done.length === 5, 5000, "all ran after resume");
    expect(broker.queueSize("default")).toBe(0);
  });
});
