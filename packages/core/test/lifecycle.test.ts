import { afterEach, describe, expect, test } from "vitest";
import type { Broker, Message, MessageProxy, StateRecord } from "../src/index.js";
import {
  actor,
  Cancel,
  cancel,
  getAbortSignal,
  group,
  InvalidArgument,
  isPromotion,
  LocalBroker,
  MessageState,
  Middleware,
  pipeline,
  ResultFailure,
  Results,
  StubBroker,
  StubCancelBackend,
  StubResultBackend,
  StubStateBackend,
  setBroker,
  setProgress,
  Worker,
} from "../src/index.js";
import { captureLogs, eventually, gate, sleep } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function rig(options: { cancel?: boolean; states?: boolean } = {}) {
  const broker = new StubBroker({ failFastDefault: false });
  const states = new MessageState({ backend: new StubStateBackend() });
  const cancels = new Cancel({ backend: new StubCancelBackend() });
  if (options.states !== false) broker.addMiddleware(states);
  if (options.cancel !== false) broker.addMiddleware(cancels);
  return { broker, states, cancels };
}

async function startWorker(broker: Broker): Promise<Worker> {
  const worker = new Worker(broker, { workerTimeout: 50 });
  cleanups.push(() => worker.stop({ timeout: 2000 }));
  await worker.start();
  return worker;
}

describe("MessageState and Cancel: bad input", () => {
  test("constructors need a backend and a positive ttl", () => {
    expect(() => new MessageState(undefined as never)).toThrow(InvalidArgument);
    expect(() => new MessageState({} as never)).toThrow(/needs a backend/);
    expect(() => new MessageState({ backend: new StubStateBackend(), ttl: 0 })).toThrow(
      /ttl must be a number of ms > 0, got 0/,
    );
    expect(() => new Cancel({} as never)).toThrow(/Cancel needs a backend/);
    expect(() => new StubCancelBackend({ ttl: Number.NaN })).toThrow(/ttl/);
  });

  test("reading states or canceling without the middleware says which middleware to add", async () => {
    const broker = new StubBroker();
    const job = actor(() => 1, { broker, actorName: "job" });
    const m = job.message();
    await expect(m.getState({ broker })).rejects.toThrow(/no MessageState middleware/);
    await expect(m.waitFor("success", { broker })).rejects.toThrow(InvalidArgument);
    await expect(m.cancel({ broker })).rejects.toThrow(/no Cancel middleware/);
    await expect(cancel([m.messageId], { broker })).rejects.toThrow(/no Cancel middleware/);
    await expect(group([m], { broker }).getStates()).rejects.toThrow(/MessageState/);
  });

  test("cancel() checks its ids; waitFor checks its statuses", async () => {
    const { broker } = rig();
    await expect(cancel("abc" as unknown as string[], { broker })).rejects.toThrow(
      /array of non-empty strings/,
    );
    await expect(cancel([""], { broker })).rejects.toThrow(InvalidArgument);
    const job = actor(() => 1, { broker, actorName: "job" });
    await expect(job.message().waitFor("done" as never, { broker })).rejects.toThrow(
      /A status is one of pending, started/,
    );
  });

  test("group and pipeline options are checked; pipeOnError refuses a group followed by a step", () => {
    const { broker } = rig();
    const job = actor((_x?: unknown) => 1, { broker, actorName: "job" });
    expect(() => group([job.message()], { broker, cancelOnError: "yes" as never })).toThrow(
      /group option cancelOnError must be a boolean/,
    );
    expect(() => pipeline([job.message()], { broker, pipeOnError: 1 as never })).toThrow(
      /pipeline option pipeOnError must be a boolean/,
    );
    expect(() =>
      pipeline([group([job.message()], { broker }), job.message()], { broker, pipeOnError: true }),
    ).toThrow(InvalidArgument);
    // A group as the last step is fine.
    expect(() =>
      pipeline([job.message(), group([job.message()], { broker })], { broker, pipeOnError: true }),
    ).not.toThrow();
  });
});

describe("setProgress", () => {
  test("takes a fraction from 0 to 1 or a JSON object, and says what it got otherwise", async () => {
    await expect(setProgress(1.5)).rejects.toThrow(/number from 0 to 1 or a JSON object, got 1.5/);
    await expect(setProgress(-0.1)).rejects.toThrow(InvalidArgument);
    await expect(setProgress("half" as never)).rejects.toThrow(InvalidArgument);
    await expect(setProgress([1] as never)).rejects.toThrow(InvalidArgument);
    await expect(setProgress({ when: 10n } as never)).rejects.toThrow(InvalidArgument);
  });

  test("does nothing in a direct call; warns once per actor on a broker without MessageState", async () => {
    const logs = captureLogs();
    const broker = new StubBroker({ failFastDefault: false });
    const report = actor(
      async () => {
        await setProgress(0.5);
        return "ok";
      },
      { broker, actorName: "report" },
    );
    // Called directly, the actor runs here and its progress goes nowhere.
    expect(await report()).toBe("ok");
    await startWorker(broker);
    await report.send();
    await report.send();
    await broker.join("default", { timeout: 5000 });
    expect(broker.deadLetters).toHaveLength(0);
    const warnings = logs.filter((l) => l.level === "warn" && l.msg.includes("progress"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain("report");
  });
});

describe("MessageState", () => {
  test("a move from the delay queue is flagged as a promotion to enqueue hooks, and writes no new state", async () => {
    const { broker, states } = rig();
    const seen: [boolean, number][] = [];
    class Watch extends Middleware {
      override afterEnqueue(_b: Broker, message: Message): void {
        seen.push([isPromotion(message), message.queueName.endsWith(".DQ") ? 1 : 0]);
      }
    }
    broker.addMiddleware(new Watch());
    const job = actor(() => 1, { broker, actorName: "job" });
    await startWorker(broker);
    const m = await job.sendWithOptions({ delay: 300 });
    const enqueuedAt = (await states.get(m.messageId))!.enqueuedAt;
    await m.waitFor("success", { broker, timeout: 5000 });
    expect(seen).toEqual([
      [false, 1],
      [true, 0],
    ]);
    expect((await states.get(m.messageId))!.enqueuedAt).toBe(enqueuedAt);
  });

  test("enqueueMany records every message pending, and sends resolve once recorded", async () => {
    const { broker, states } = rig();
    const job = actor((_n: number) => 1, { broker, actorName: "job" });
    const sent = await broker.enqueueMany([job.message(1), job.message(2), job.message(3)]);
    const recorded = await states.getMany(sent.map((m) => m.messageId));
    expect(recorded.map((s) => s?.status)).toEqual(["pending", "pending", "pending"]);
    expect(recorded.map((s) => s?.args)).toEqual([[1], [2], [3]]);
  });

  test("on a LocalBroker, states end too (it runs actors inline and settles nothing)", async () => {
    const broker = new LocalBroker();
    const states = new MessageState({ backend: new StubStateBackend() });
    broker.addMiddleware(states);
    const ok = actor(() => 1, { broker, actorName: "ok" });
    const bad = actor(
      () => {
        throw new Error("nope");
      },
      { broker, actorName: "bad" },
    );
    const m = await ok.send();
    expect((await states.get(m.messageId))?.status).toBe("success");
    const failing = bad.message();
    await expect(broker.enqueue(failing)).rejects.toThrow("nope");
    expect(await states.get(failing.messageId)).toMatchObject({
      status: "failure",
      error: { type: "Error", message: "nope" },
    });
  });

  test("every member of a composition carries its composition_id, nested ones the outermost's", async () => {
    const { broker, states } = rig();
    const seen = new Map<string, unknown>();
    class Watch extends Middleware {
      override beforeProcessMessage(_b: Broker, message: MessageProxy): void {
        seen.set(message.messageId, message.options.composition_id);
      }
    }
    broker.addMiddleware(new Watch());
    broker.addMiddleware(new Results({ backend: new StubResultBackend() }));
    const job = actor((..._args: unknown[]) => 1, { broker, actorName: "job", storeResults: true });
    await startWorker(broker);
    const p = await pipeline(
      [
        job.message(),
        group([job.message(), pipeline([job.message(), job.message()], { broker })], { broker }),
      ],
      { broker },
    ).run();
    await eventually(() => seen.size === 4, 5000, "every member ran");
    expect(new Set(seen.values())).toEqual(new Set([p.compositionId]));
    expect(await states.count({ compositionId: p.compositionId })).toBe(4);
    const shape = await p.getStates();
    expect(shape).toHaveLength(2);
    expect((shape[1] as StateRecord[][])[1]).toHaveLength(2);
  });
});

describe("Cancel", () => {
  test("without MessageState, a cancel is recorded and cannot say whether the message had finished", async () => {
    const { broker } = rig({ states: false });
    const job = actor(() => 1, { broker, actorName: "job" });
    const m = job.message();
    expect(await cancel([m.messageId], { broker })).toEqual([
      { messageId: m.messageId, outcome: "canceled" },
    ]);
  });

  test("the global broker is used when none is given", async () => {
    const { broker } = rig();
    setBroker(broker);
    const job = actor(() => 1, { actorName: "job" });
    const m = await job.send();
    expect((await m.cancel()).outcome).toBe("canceled");
    expect((await m.getState())?.status).toBe("canceled");
  });

  test("a canceled message's stored result is a ResultFailure of type Canceled (before start and while running)", async () => {
    const { broker } = rig();
    broker.addMiddleware(new Results({ backend: new StubResultBackend() }));
    const started = gate();
    const job = actor(
      async (wait: boolean) => {
        if (!wait) return 1;
        started.open();
        await new Promise((resolve) =>
          getAbortSignal().addEventListener("abort", resolve, { once: true }),
        );
        return 2;
      },
      { broker, actorName: "job", storeResults: true },
    );
    const early = await job.send(false);
    await early.cancel({ broker });
    await startWorker(broker);
    const running = await job.send(true);
    await started.promise;
    await running.cancel({ broker });
    for (const m of [early, running]) {
      const error = await m
        .getResult({ backend: broker.getResultsBackend(), block: true, timeout: 5000 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResultFailure);
      expect((error as ResultFailure).origExcType).toBe("Canceled");
    }
    await sleep(100);
  });

  test("one subscription per process, closed when the last worker stops", async () => {
    const backend = new StubCancelBackend();
    let subscriptions = 0;
    let closed = 0;
    const subscribe = backend.subscribe.bind(backend);
    backend.subscribe = async (listener) => {
      subscriptions++;
      const s = await subscribe(listener);
      return {
        close: async () => {
          closed++;
          await s.close();
        },
      };
    };
    const broker = new StubBroker();
    broker.addMiddleware(new Cancel({ backend }));
    actor(() => 1, { broker, actorName: "job" });
    const a = new Worker(broker, { workerTimeout: 50 });
    const b = new Worker(broker, { workerTimeout: 50 });
    await a.start();
    await b.start();
    expect(subscriptions).toBe(1);
    await a.stop();
    expect(closed).toBe(0);
    await b.stop();
    expect(closed).toBe(1);
  });
});
