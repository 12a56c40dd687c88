import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { GenericActorMeta, Message } from "../src/index.js";
import {
  Actor,
  actor,
  GenericActor,
  getAbortSignal,
  getCurrentMessage,
  LocalBroker,
  QueueNotFound,
  StubBroker,
  setBroker,
  Worker,
} from "../src/index.js";
import { captureLogs, sleep } from "./helpers.js";

let broker: StubBroker;
beforeEach(() => {
  captureLogs();
  broker = new StubBroker();
  setBroker(broker);
});

describe("actor()", () => {
  test("an actor is callable and runs its function here and now", async () => {
    const add = actor((a: number, b: number) => a + b, { actorName: "add" });
    expect(add).toBeInstanceOf(Actor);
    expect(await add(2, 3)).toBe(5);
    expect(add.actorName).toBe("add");
    expect(add.queueName).toBe("default");
    expect(add.priority).toBe(0);
    expect(add.broker).toBe(broker);
  });

  test("the name defaults to the function's; anonymous functions need actorName", () => {
    function countWords(_url: string) {
      return 0;
    }
    expect(actor(countWords).actorName).toBe("countWords");
    const named = (x: number) => x;
    expect(actor(named).actorName).toBe("named");
    expect(() => actor([(x: number) => x][0]!)).toThrow(/anonymous function needs an actorName/);
  });

  test("actor(options)(fn) declares with options", () => {
    const a = actor({ actorName: "decorated", queueName: "mail", priority: 5, maxRetries: 1 })(
      (to: string) => to,
    );
    expect(a.queueName).toBe("mail");
    expect(a.priority).toBe(5);
    expect(a.options).toEqual({ maxRetries: 1 });
    expect(broker.getDeclaredQueues()).toEqual(new Set(["mail"]));
    expect(broker.getDeclaredDelayQueues()).toEqual(new Set(["mail.DQ"]));
  });

  test("an unknown option is an error that lists the known ones", () => {
    expect(() => actor(() => 1, { actorName: "a", maxRetry: 3 } as never)).toThrow(
      /Unknown option "maxRetry" for actor "a"; this broker's middleware accept: .*maxRetries/,
    );
  });

  test.each([
    [{ maxRetries: "3" }, /Option maxRetries of actor a must be an integer ≥ 0 or null, got "3"/],
    [{ timeLimit: -1 }, /Option timeLimit of actor a must be a number > 0/],
    [{ backoffStrategy: "fibonacci" }, /must be one of constant, linear/],
    [{ onSuccess: 42 }, /must be an actor or an actor name/],
    [{ throws: "Error" }, /must be an error class/],
    [{ priority: 1.5 }, /priority of actor a must be an integer/],
  ])("a wrong option type is a clear error: %o", (options, pattern) => {
    expect(() => actor(() => 1, { actorName: "a", ...(options as object) })).toThrow(pattern);
  });

  test("two actors with one name on one broker is an error", () => {
    actor(() => 1, { actorName: "dup" });
    expect(() => actor(() => 2, { actorName: "dup" })).toThrow(/already declared/);
  });

  test("queue names are checked", () => {
    expect(() => actor(() => 1, { actorName: "a", queueName: "bad name" })).toThrow(
      /Invalid queue name/,
    );
  });

  test("send options are checked too, and functions cannot travel", async () => {
    const a = actor((_x: number) => 1, { actorName: "a" });
    await expect(a.sendWithOptions({ args: [1], maxRetries: -2 })).rejects.toThrow(/maxRetries/);
    await expect(a.sendWithOptions({ args: [1], retryWhen: () => true } as never)).rejects.toThrow(
      /can only be set on the actor/,
    );
  });

  test("sendWithOptions maps options to Dramatiq's wire names, unknown ones pass through", async () => {
    const a = actor((_x: number) => 1, { actorName: "a" });
    const m = await a.sendWithOptions({
      args: [1],
      maxRetries: 2,
      timeLimit: 1000,
      pipeIgnore: true,
      ...({ custom_flag: "kept" } as object),
    });
    expect(m.options).toEqual({
      max_retries: 2,
      time_limit: 1000,
      pipe_ignore: true,
      custom_flag: "kept",
    });
  });

  test("alternative queues: a message may go to any of them, and nowhere else", async () => {
    const a = actor((_x: number) => 1, {
      actorName: "a",
      queueName: "first",
      alternativeQueues: ["second"],
    });
    expect((await a.sendWithOptions({ args: [1], queueName: "second" })).queueName).toBe("second");
    expect((await a.send(1)).queueName).toBe("first");
    await expect(a.sendWithOptions({ args: [1], queueName: "third" })).rejects.toThrow(
      /cannot send to queue "third": allowed are first, second/,
    );
    expect(broker.getDeclaredQueues()).toEqual(new Set(["first", "second"]));
  });

  test("enqueueing on an undeclared queue is QueueNotFound", async () => {
    const a = actor(() => 1, { actorName: "a" });
    await expect(broker.enqueue(a.message().copy({ queueName: "nowhere" }))).rejects.toBeInstanceOf(
      QueueNotFound,
    );
  });

  test("without a global broker, declaring an actor says what to do", async () => {
    const { getBroker } = await import("../src/index.js");
    const key = Symbol.for("@taskq/core.globalBroker");
    const saved = (globalThis as Record<symbol, unknown>)[key];
    delete (globalThis as Record<symbol, unknown>)[key];
    try {
      expect(() => getBroker()).toThrow(/call setBroker\(broker\)/);
      expect(() => actor(() => 1, { actorName: "orphan" })).toThrow(/No global broker is set/);
    } finally {
      (globalThis as Record<symbol, unknown>)[key] = saved;
    }
  });
});

describe("inside an actor", () => {
  let worker: Worker;
  afterEach(async () => {
    await worker?.stop({ timeout: 2000 });
  });

  test("getCurrentMessage and getAbortSignal work across awaits; outside, a never-aborting signal", async () => {
    const seen: { id?: string; aborted: boolean; after?: string }[] = [];
    const a = actor(
      async () => {
        const before = getCurrentMessage()?.messageId;
        await sleep(5);
        const signal = getAbortSignal();
        seen.push({ id: before, aborted: signal.aborted, after: getCurrentMessage()?.messageId });
      },
      { actorName: "a" },
    );
    worker = new Worker(broker, { workerTimeout: 50 });
    await worker.start();
    const m = await a.send();
    await broker.join("default");
    expect(seen).toEqual([{ id: m.messageId, aborted: false, after: m.messageId }]);
    expect(getCurrentMessage()).toBeUndefined();
    expect(getAbortSignal().aborted).toBe(false);
  });

  test("kwargs from a Python producer reach the actor as a trailing object", async () => {
    const got: unknown[][] = [];
    actor((...args: unknown[]) => void got.push(args), { actorName: "py" });
    worker = new Worker(broker, { workerTimeout: 50 });
    await worker.start();
    broker.enqueueBytes(
      "default",
      '{"queue_name":"default","actor_name":"py","args":[1],"kwargs":{"y":2},"options":{},"message_id":"m1","message_timestamp":1}',
    );
    await broker.join("default");
    expect(got).toEqual([[1, { y: 2 }]]);
  });
});

describe("GenericActor", () => {
  let worker: Worker;
  afterEach(async () => {
    await worker?.stop({ timeout: 2000 });
  });

  test("subclasses of an abstract base inherit its meta and become actors; the base does not", async () => {
    const greeted: string[] = [];
    abstract class BaseTask extends GenericActor {
      static override meta: GenericActorMeta = {
        abstract: true,
        queueName: "tasks",
        maxRetries: 0,
      };
      abstract taskName(): string;
      perform(greeting: string): string {
        const line = `${greeting} from ${this.taskName()}`;
        greeted.push(line);
        return line;
      }
    }
    class FooTask extends BaseTask {
      static {
        this.declare();
      }
      taskName() {
        return "Foo";
      }
    }
    class BarTask extends BaseTask {
      static override meta: GenericActorMeta = { priority: 3 };
      taskName() {
        return "Bar";
      }
    }
    const foo = FooTask.declare();
    expect(foo.actorName).toBe("FooTask");
    expect(foo.queueName).toBe("tasks");
    expect(foo.options).toEqual({ maxRetries: 0 });
    expect(BarTask.declare().priority).toBe(3);
    expect(() => (BaseTask as unknown as typeof FooTask).declare()).toThrow(
      /abstract GenericActor/,
    );

    worker = new Worker(broker, { workerTimeout: 50 });
    await worker.start();
    const m: Message<string> = await FooTask.send("Hello");
    await BarTask.sendWithOptions({ args: ["Hi"] });
    await broker.join("tasks");
    expect(m.actorName).toBe("FooTask");
    expect(greeted.sort()).toEqual(["Hello from Foo", "Hi from Bar"]);
  });
});

describe("LocalBroker", () => {
  test("runs the actor when the message is sent; its error reaches the caller", async () => {
    const local = new LocalBroker();
    const seen: string[] = [];
    const greet = actor((name: string) => void seen.push(`hi ${name}`), {
      broker: local,
      actorName: "greet",
    });
    const fail = actor(
      () => {
        throw new Error("local failure");
      },
      { broker: local, actorName: "fail" },
    );
    await greet.send("ada");
    expect(seen).toEqual(["hi ada"]);
    await expect(fail.send()).rejects.toThrow("local failure");
    expect(() => local.consume("default")).toThrow(/no consumers/);
  });

  test("runs callbacks and pipeline steps inline", async () => {
    const local = new LocalBroker();
    const results: unknown[] = [];
    const done = actor((_m: unknown, r: unknown) => void results.push(r), {
      broker: local,
      actorName: "done",
    });
    const double = actor((n: number) => n * 2, {
      broker: local,
      actorName: "double",
      onSuccess: done,
    });
    await double.send(21);
    expect(results).toEqual([42]);
  });
});
