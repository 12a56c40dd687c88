import { afterEach, describe, expect, test } from "vitest";
import { actor } from "../actor.js";
import type { Broker } from "../broker.js";
import { cancel } from "../cancel/api.js";
import { Cancel } from "../cancel/cancel.js";
import type { CancelBackend } from "../cancel/cancel-backend.js";
import { group } from "../composition/group.js";
import { pipeline } from "../composition/pipeline.js";
import { getAbortSignal } from "../context.js";
import { Canceled, SkipMessage, StateTimeout } from "../errors.js";
import { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import { Middleware } from "../middleware/middleware.js";
import { MessageState } from "../state/message-state.js";
import { setProgress } from "../state/progress.js";
import type { StateBackend } from "../state/state-backend.js";
import type { StateRecord } from "../state/types.js";
import type { WorkerOptions } from "../worker/worker.js";
import { Worker } from "../worker/worker.js";
import { captureLogs } from "./logs.js";
import { gate, sleep, waitUntil } from "./wait.js";

/** Options of `lifecycleConformance(makeBroker, options)`. */
export interface LifecycleConformanceOptions {
  /** Suite title. Default "message lifecycle conformance". */
  name?: string;
  /** Per-test timeout, ms. Default 60 000. */
  timeout?: number;
  /** A fresh broker whose queues start empty, one per test. */
  makeBroker: () => Broker | Promise<Broker>;
  /** A fresh state backend, one per test. */
  makeStateBackend: () => StateBackend | Promise<StateBackend>;
  /** A fresh cancel backend, one per test. */
  makeCancelBackend: () => CancelBackend | Promise<CancelBackend>;
  /**
   * Another handle on the same state store, as another process would read it (a second
   * client). Default: the same instance.
   */
  peerStateBackend?: (backend: StateBackend) => StateBackend | Promise<StateBackend>;
  /** Release a broker after a test. Default: flushAll, then close. */
  destroyBroker?: (broker: Broker) => Promise<void>;
  /** Release a backend after a test. Default: close. */
  destroyBackend?: (backend: StateBackend | CancelBackend) => Promise<void>;
}

interface Rig {
  broker: Broker;
  states: MessageState;
  cancels: Cancel;
  /** The state store as another process sees it. */
  reader: StateBackend;
}

const QUEUE = "lifecycle";

/**
 * The message lifecycle end to end, on a real broker and real backends: every transition
 * recorded (pending, started, success, failure, skipped, canceled; a retry's pending with its
 * retries and eta), progress seen while the actor runs, waitFor, cancel before start (queued,
 * prefetched, delayed) and while running, groups with cancelOnError, pipelines with
 * pipeOnError, composition states in member order, and a message from a producer without
 * MessageState (Dramatiq) tracked from its start.
 */
export function lifecycleConformance(options: LifecycleConformanceOptions): void {
  const timeout = options.timeout ?? 60_000;
  const destroyBroker =
    options.destroyBroker ??
    (async (b: Broker) => {
      await b.flushAll();
      await b.close();
    });
  const destroyBackend = options.destroyBackend ?? ((b) => b.close());

  describe(options.name ?? "message lifecycle conformance", () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      while (cleanups.length > 0) await cleanups.pop()!();
    });

    async function rig(): Promise<Rig> {
      const broker = await options.makeBroker();
      cleanups.push(() => destroyBroker(broker));
      const stateBackend = await options.makeStateBackend();
      cleanups.push(() => destroyBackend(stateBackend));
      const cancelBackend = await options.makeCancelBackend();
      cleanups.push(() => destroyBackend(cancelBackend));
      let reader = stateBackend;
      if (options.peerStateBackend !== undefined) {
        reader = await options.peerStateBackend(stateBackend);
        const peer = reader;
        cleanups.push(() => destroyBackend(peer));
      }
      const states = new MessageState({ backend: stateBackend });
      const cancels = new Cancel({ backend: cancelBackend });
      broker.addMiddleware(states);
      broker.addMiddleware(cancels);
      return { broker, states, cancels, reader };
    }

    async function startWorker(broker: Broker, opts: WorkerOptions = {}): Promise<Worker> {
      const worker = new Worker(broker, { workerTimeout: 100, ...opts });
      cleanups.push(() => worker.stop({ timeout: 5000 }));
      await worker.start();
      return worker;
    }

    /** Poll a reader (tests only; the library itself waits on notices). */
    async function stateOf(
      reader: StateBackend,
      id: string,
      check: (s: StateRecord | undefined) => boolean,
      what: string,
    ): Promise<StateRecord | undefined> {
      let last: StateRecord | undefined;
      await waitUntil(
        async () => {
          last = await reader.get(id);
          return check(last);
        },
        { timeout: 15_000, what },
      );
      return last;
    }

    test("every transition is recorded, and read by id alone from another handle", {
      timeout,
    }, async () => {
      const { broker, reader } = await rig();
      const hold = gate();
      const work = actor(
        async (n: number, label: string) => {
          await hold.promise;
          return n * 2 + label.length;
        },
        { broker, actorName: "work", queueName: QUEUE, priority: 3 },
      );
      const before = Date.now();
      const m = await work.send(21, "x");
      const sent = await reader.get(m.messageId);
      expect(sent).toMatchObject({
        messageId: m.messageId,
        status: "pending",
        actorName: "work",
        queueName: QUEUE,
        args: [21, "x"],
        kwargs: {},
        priority: 3,
        retries: 0,
      });
      expect(sent!.enqueuedAt).toBeGreaterThanOrEqual(before);
      await startWorker(broker);
      const started = await m.waitFor("started", { broker, timeout: 15_000 });
      expect(started.startedAt).toBeGreaterThanOrEqual(sent!.enqueuedAt);
      expect((await reader.get(m.messageId))?.status).toBe("started");
      hold.open();
      const done = await m.waitFor("success", { broker, timeout: 15_000 });
      expect(done.endedAt).toBeGreaterThanOrEqual(done.startedAt!);
      expect(done.enqueuedAt).toBe(sent!.enqueuedAt);
      expect(done.error).toBeUndefined();
      expect(await stateOf(reader, m.messageId, (s) => s?.status === "success", "success")).toEqual(
        done,
      );
    });

    test("a delayed message is pending with its eta on its real queue; its move to the queue is not a send", {
      timeout,
    }, async () => {
      const { broker, reader } = await rig();
      const work = actor(() => "ok", { broker, actorName: "later", queueName: QUEUE });
      await startWorker(broker);
      const before = Date.now();
      const m = await work.sendWithOptions({ delay: 800 });
      const pending = await reader.get(m.messageId);
      expect(pending).toMatchObject({ status: "pending", queueName: QUEUE });
      expect(pending!.eta).toBeGreaterThanOrEqual(before + 800);
      const done = await m.waitFor("success", { broker, timeout: 15_000 });
      expect(done.enqueuedAt).toBe(pending!.enqueuedAt);
      expect(done.eta).toBeUndefined();
      expect(done.startedAt).toBeGreaterThanOrEqual(before + 750);
    });

    test("a retry writes pending with retries + 1 and its eta when scheduled; failing for good writes failure with the error", {
      timeout,
    }, async () => {
      const { broker, reader } = await rig();
      let attempts = 0;
      class QuotaExceeded extends Error {}
      const flaky = actor(
        () => {
          attempts++;
          throw new QuotaExceeded(`over the limit (${attempts})`);
        },
        {
          broker,
          actorName: "flaky",
          queueName: QUEUE,
          maxRetries: 1,
          minBackoff: 1500,
          jitter: false,
        },
      );
      await startWorker(broker);
      const m = await flaky.send();
      const retry = await stateOf(
        reader,
        m.messageId,
        (s) => s?.retries === 1 && s.status === "pending",
        "the retry's pending state",
      );
      expect(attempts).toBe(1);
      expect(retry!.eta).toBeGreaterThan(Date.now() - 500);
      expect(retry!.error).toEqual({ type: "QuotaExceeded", message: "over the limit (1)" });
      const failed = await m.waitFor(["failure", "success"], { broker, timeout: 15_000 });
      expect(failed).toMatchObject({
        status: "failure",
        retries: 1,
        error: { type: "QuotaExceeded", message: "over the limit (2)" },
      });
      expect(attempts).toBe(2);
    });

    test("a middleware's SkipMessage and the age limit end a message skipped (the aged one is still dead-lettered)", {
      timeout,
    }, async () => {
      const { broker } = await rig();
      class SkipOdd extends Middleware {
        override beforeProcessMessage(_b: Broker, message: MessageProxy): void {
          if (message.args[0] === 1) throw new SkipMessage("odd ones are skipped");
        }
      }
      broker.addMiddleware(new SkipOdd());
      let ran = 0;
      const aged = actor(
        (_n: number) => {
          ran++;
        },
        { broker, actorName: "aged", queueName: QUEUE, maxAge: 1000 },
      );
      await startWorker(broker);
      const old = aged.message(2).copy({ messageTimestamp: Date.now() - 60_000 });
      const a = await broker.enqueue(old);
      const s = await aged.send(1);
      const ended = ["skipped", "failure", "success"] as const;
      const agedState = await a.waitFor(ended, { broker, timeout: 15_000 });
      expect(agedState).toMatchObject({
        status: "skipped",
        error: { type: "SkipMessage", message: "Message age limit exceeded" },
      });
      const skipped = await s.waitFor(ended, { broker, timeout: 15_000 });
      expect(skipped).toMatchObject({
        status: "skipped",
        error: { type: "SkipMessage", message: "odd ones are skipped" },
      });
      expect(ran).toBe(0);
      await waitUntil(async () => (await broker.getQueueMessageCounts(QUEUE)).dead === 1, {
        what: "the aged message in the dead letters",
      });
    });

    test("progress set inside an actor is visible to a reader while the actor still runs", {
      timeout,
    }, async () => {
      const { broker, reader } = await rig();
      const step = gate();
      const finish = gate();
      const long = actor(
        async () => {
          await setProgress(0.25);
          step.open();
          await finish.promise;
          await setProgress({ done: 3, of: 4 });
          return "done";
        },
        { broker, actorName: "long", queueName: QUEUE },
      );
      await startWorker(broker);
      const m = await long.send();
      await step.promise;
      expect(await reader.get(m.messageId)).toMatchObject({ status: "started", progress: 0.25 });
      finish.open();
      const done = await m.waitFor("success", { broker, timeout: 15_000 });
      expect(done.progress).toEqual({ done: 3, of: 4 });
    });

    test("waitFor times out with StateTimeout; list and count find a message by actor and status", {
      timeout,
    }, async () => {
      const { broker, states } = await rig();
      const stuck = gate();
      const name = `stuck${Date.now()}`;
      const slow = actor(() => stuck.promise, { broker, actorName: name, queueName: QUEUE });
      await startWorker(broker);
      const first = await slow.send();
      await sleep(5);
      const second = await slow.send();
      await first.waitFor("started", { broker, timeout: 15_000 });
      const started = Date.now();
      await expect(first.waitFor("success", { broker, timeout: 300 })).rejects.toBeInstanceOf(
        StateTimeout,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      const listed = await states.list({ actorName: name });
      expect(listed.map((s) => s.messageId)).toEqual([second.messageId, first.messageId]);
      expect(await states.count({ actorName: name })).toBe(2);
      stuck.open();
      await second.waitFor("success", { broker, timeout: 15_000 });
      await first.waitFor("success", { broker, timeout: 15_000 });
      expect(await states.count({ actorName: name, status: "success" })).toBe(2);
    });

    test("cancel before start: skipped, status canceled, no retry, no callbacks, not dead-lettered, logged and counted", {
      timeout,
    }, async () => {
      const logs = captureLogs();
      const { broker, reader, cancels } = await rig();
      let ran = 0;
      const calls: string[] = [];
      const onSuccess = actor(() => void calls.push("success"), {
        broker,
        actorName: "onSuccess",
        queueName: QUEUE,
      });
      const onFailure = actor(() => void calls.push("failure"), {
        broker,
        actorName: "onFailure",
        queueName: QUEUE,
      });
      const job = actor(
        () => {
          ran++;
        },
        { broker, actorName: "job", queueName: QUEUE, onSuccess, onFailure, maxRetries: 3 },
      );
      const m = await job.send();
      const outcome = await m.cancel({ broker });
      expect(outcome).toEqual({ messageId: m.messageId, outcome: "canceled", status: "pending" });
      // Recorded at once, before any worker sees it.
      expect(await reader.get(m.messageId)).toMatchObject({
        status: "canceled",
        error: { type: "Canceled" },
      });
      const after = await job.send();
      await startWorker(broker);
      await after.waitFor("success", { broker, timeout: 15_000 });
      await waitUntil(() => cancels.counts.skipped === 1, { what: "the canceled message skipped" });
      await sleep(300);
      expect(ran).toBe(1);
      expect(calls).toEqual(["success"]);
      expect(await broker.getQueueMessageCounts(QUEUE)).toMatchObject({ dead: 0, delayed: 0 });
      expect((await reader.get(m.messageId))?.status).toBe("canceled");
      expect(
        logs.some(
          (l) => l.level === "info" && l.msg.includes(m.messageId) && /cancel/i.test(l.msg),
        ),
      ).toBe(true);
      expect(logs.some((l) => l.level === "warn" && l.msg.includes("was skipped"))).toBe(false);
    });

    test("cancel of a message a worker has already prefetched: it is skipped when its turn comes", {
      timeout,
    }, async () => {
      const { broker, reader, cancels } = await rig();
      const hold = gate();
      const ran: string[] = [];
      const job = actor(
        async (name: string) => {
          ran.push(name);
          if (name === "first") await hold.promise;
        },
        { broker, actorName: "job", queueName: QUEUE },
      );
      await startWorker(broker, { concurrency: 1, prefetch: 4 });
      await job.send("first");
      await waitUntil(() => ran.length === 1, { what: "the first message running" });
      const second = await job.send("second");
      // Fetched into the worker's memory behind the running one.
      await waitUntil(async () => (await broker.getQueueMessageCounts(QUEUE)).ready === 0, {
        what: "the second message prefetched",
      });
      await sleep(200);
      expect(ran).toEqual(["first"]);
      const [outcome] = await cancel([second.messageId], { broker });
      expect(outcome?.outcome).toBe("canceled");
      // The worker checked the message against the marks when it fetched it; this cancel
      // reaches it as a notice, which may still be on its way when cancel() resolves (a
      // message starting in that window is interrupted instead, as a running one).
      await sleep(300);
      hold.open();
      const state = await second.waitFor(["canceled", "success"], { broker, timeout: 15_000 });
      expect(state.status).toBe("canceled");
      await waitUntil(() => cancels.counts.skipped === 1, {
        what: "the prefetched message skipped",
      });
      expect(ran).toEqual(["first"]);
      expect((await reader.get(second.messageId))?.status).toBe("canceled");
    });

    test("cancel of a delayed message: it never runs", { timeout }, async () => {
      const { broker, cancels } = await rig();
      let ran = 0;
      const job = actor(
        () => {
          ran++;
        },
        { broker, actorName: "job", queueName: QUEUE },
      );
      await startWorker(broker);
      const m = await job.sendWithOptions({ delay: 700 });
      const control = await job.sendWithOptions({ delay: 700 });
      await sleep(150);
      await m.cancel({ broker });
      await control.waitFor("success", { broker, timeout: 15_000 });
      await waitUntil(() => cancels.counts.skipped === 1, { what: "the delayed message skipped" });
      expect(ran).toBe(1);
      expect((await m.getState({ broker }))?.status).toBe("canceled");
      expect(await broker.getQueueMessageCounts(QUEUE)).toMatchObject({ dead: 0 });
    });

    test("cancel while running: the AbortSignal aborts with Canceled within a second; canceled, never retried", {
      timeout,
    }, async () => {
      const { broker, reader, cancels } = await rig();
      let attempts = 0;
      let reason: unknown;
      let abortedAt = 0;
      const started = gate();
      const long = actor(
        async () => {
          attempts++;
          const signal = getAbortSignal();
          started.open();
          await new Promise<void>((resolve) =>
            signal.addEventListener("abort", () => resolve(), { once: true }),
          );
          abortedAt = Date.now();
          reason = signal.reason;
          throw signal.reason;
        },
        { broker, actorName: "long", queueName: QUEUE, maxRetries: 5, minBackoff: 10 },
      );
      await startWorker(broker);
      const m = await long.send();
      await started.promise;
      await m.waitFor("started", { broker, timeout: 15_000 });
      const canceledAt = Date.now();
      const outcome = await m.cancel({ broker });
      expect(outcome).toEqual({ messageId: m.messageId, outcome: "canceled", status: "started" });
      const state = await m.waitFor(["canceled", "failure", "success"], {
        broker,
        timeout: 15_000,
      });
      expect(state).toMatchObject({ status: "canceled", error: { type: "Canceled" } });
      await waitUntil(() => abortedAt > 0, { what: "the abort" });
      expect(abortedAt - canceledAt).toBeLessThan(1000);
      expect(reason).toBeInstanceOf(Canceled);
      await sleep(500);
      expect(attempts).toBe(1);
      expect(cancels.counts.interrupted).toBe(1);
      expect((await reader.get(m.messageId))?.retries).toBe(0);
      expect(await broker.getQueueMessageCounts(QUEUE)).toMatchObject({ dead: 0, delayed: 0 });
    });

    test("cancel of a finished message is a no-op that says so", { timeout }, async () => {
      const { broker } = await rig();
      const job = actor(() => 1, { broker, actorName: "job", queueName: QUEUE });
      await startWorker(broker);
      const m = await job.send();
      await m.waitFor("success", { broker, timeout: 15_000 });
      expect(await m.cancel({ broker })).toEqual({
        messageId: m.messageId,
        outcome: "finished",
        status: "success",
      });
      expect((await m.getState({ broker }))?.status).toBe("success");
    });

    test("group cancelOnError: a member failing for good cancels the rest (running ones aborted, unstarted ones skipped)", {
      timeout,
    }, async () => {
      const { broker } = await rig();
      const running = gate();
      let aborted = 0;
      let ran = 0;
      const fail = actor(
        async () => {
          await running.promise;
          throw new Error("member failed");
        },
        { broker, actorName: "fail", queueName: QUEUE, maxRetries: 0 },
      );
      const slow = actor(
        async () => {
          ran++;
          if (ran === 1) running.open();
          const signal = getAbortSignal();
          await new Promise<void>((resolve) => {
            signal.addEventListener("abort", () => resolve(), { once: true });
            setTimeout(resolve, 20_000);
          });
          if (signal.aborted) aborted++;
        },
        { broker, actorName: "slow", queueName: QUEUE },
      );
      await startWorker(broker, { concurrency: 2, prefetch: 10 });
      const g = await group([fail.message(), slow.message(), slow.message(), slow.message()], {
        broker,
        cancelOnError: true,
      }).run();
      await waitUntil(
        async () =>
          (await g.getStates()).every(
            (s) =>
              !Array.isArray(s) && s !== undefined && ["failure", "canceled"].includes(s.status),
          ),
        { timeout: 15_000, what: "every member ended" },
      );
      const states = (await g.getStates()) as StateRecord[];
      expect(states.map((s) => s.status)).toEqual(["failure", "canceled", "canceled", "canceled"]);
      expect(states.every((s) => s.compositionId === g.compositionId)).toBe(true);
      expect(ran).toBe(1);
      expect(aborted).toBe(1);
    });

    test("pipeline pipeOnError: the next step runs with the failure as its input; without it the chain stops", {
      timeout,
    }, async () => {
      const { broker, reader } = await rig();
      const seen: unknown[] = [];
      const fail = actor(
        () => {
          throw new RangeError("no such page");
        },
        { broker, actorName: "fail", queueName: QUEUE, maxRetries: 0 },
      );
      const report = actor(
        (input: unknown) => {
          seen.push(input);
        },
        { broker, actorName: "report", queueName: QUEUE },
      );
      await startWorker(broker);
      const p = await pipeline([fail.message(), report.message()], {
        broker,
        pipeOnError: true,
      }).run();
      await waitUntil(() => seen.length === 1, { timeout: 15_000, what: "the next step" });
      expect(seen[0]).toEqual({ origExcType: "RangeError", origExcMsg: "no such page" });
      // The state is written as the worker settles the step, just after the actor returns.
      await waitUntil(
        async () => ((await p.getStates())[1] as StateRecord | undefined)?.status === "success",
        { timeout: 15_000, what: "the next step's success" },
      );
      const states = (await p.getStates()) as StateRecord[];
      expect(states.map((s) => s.status)).toEqual(["failure", "success"]);
      expect(states.every((s) => s.compositionId === p.compositionId)).toBe(true);
      expect(await reader.count({ compositionId: p.compositionId })).toBe(2);

      const stops = await pipeline([fail.message(), report.message()], { broker }).run();
      await waitUntil(
        async () => ((await stops.getStates())[0] as StateRecord | undefined)?.status === "failure",
        { timeout: 15_000, what: "the first step failing" },
      );
      await sleep(300);
      expect(seen).toHaveLength(1);
      expect((await stops.getStates())[1]).toBeUndefined();
    });

    test("group and pipeline states come back in member order; group.cancel and pipeline.cancel stop their members", {
      timeout,
    }, async () => {
      const { broker } = await rig();
      const hold = gate();
      let lastRan = false;
      const echo = actor(async (v: number) => v, { broker, actorName: "echo", queueName: QUEUE });
      const block = actor(
        async () => {
          const signal = getAbortSignal();
          await Promise.race([
            hold.promise,
            new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true })),
          ]);
          return 0;
        },
        { broker, actorName: "block", queueName: QUEUE },
      );
      const last = actor(
        () => {
          lastRan = true;
        },
        { broker, actorName: "last", queueName: QUEUE, pipeIgnore: true },
      );
      await startWorker(broker, { concurrency: 4 });
      const g = await group([echo.message(1), block.message(), echo.message(3)], { broker }).run();
      await waitUntil(
        async () => {
          const s = (await g.getStates()) as (StateRecord | undefined)[];
          return (
            s[0]?.status === "success" && s[1]?.status === "started" && s[2]?.status === "success"
          );
        },
        { timeout: 15_000, what: "the group running" },
      );
      const outcomes = await g.cancel();
      expect(outcomes.map((o) => [o.outcome, o.status])).toEqual([
        ["finished", "success"],
        ["canceled", "started"],
        ["finished", "success"],
      ]);
      await waitUntil(async () => ((await g.getStates())[1] as StateRecord).status === "canceled", {
        timeout: 15_000,
        what: "the blocked member canceled",
      });

      const p = await pipeline([echo.message(1), block.message(), last.message()], {
        broker,
      }).run();
      // The first step's success and the second step's start are written by different
      // messages' hooks, so a reader may see the start first; wait for both.
      let states: (string | undefined)[] = [];
      await waitUntil(
        async () => {
          states = ((await p.getStates()) as (StateRecord | undefined)[]).map((s) => s?.status);
          return states[0] === "success" && states[1] === "started";
        },
        { timeout: 15_000, what: "the pipeline's first step done and its second running" },
      );
      expect(states).toEqual(["success", "started", undefined]);
      await p.cancel();
      await waitUntil(async () => ((await p.getStates())[1] as StateRecord).status === "canceled", {
        timeout: 15_000,
        what: "the running step canceled",
      });
      hold.open();
      await sleep(300);
      expect(lastRan).toBe(false);
      expect((await p.getStates())[2]).toBeUndefined();
    });

    test("a message sent by a producer without MessageState (Dramatiq) is tracked from its start", {
      timeout,
    }, async () => {
      const { broker, reader } = await rig();
      const hold = gate();
      const py = actor(async (_a: number, _kw: unknown) => hold.promise, {
        broker,
        actorName: "py_actor",
        queueName: QUEUE,
      });
      void py;
      await startWorker(broker);
      const sentAt = Date.now() - 5000;
      const message = new Message({
        queueName: QUEUE,
        actorName: "py_actor",
        args: [1],
        kwargs: { flag: true },
        options: { max_retries: 2 },
        messageTimestamp: sentAt,
      });
      // Straight onto the queue, as a producer with no hooks would put it.
      await (broker as unknown as { doEnqueue(m: Message): Promise<Message> }).doEnqueue(message);
      const started = await stateOf(
        reader,
        message.messageId,
        (s) => s?.status === "started",
        "the started state",
      );
      expect(started).toMatchObject({
        actorName: "py_actor",
        queueName: QUEUE,
        args: [1],
        kwargs: { flag: true },
        enqueuedAt: sentAt,
        retries: 0,
      });
      hold.open();
      await stateOf(reader, message.messageId, (s) => s?.status === "success", "success");
    });
  });
}
