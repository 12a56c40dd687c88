// Isolation runs the built package: a pool thread imports the actor module with plain Node,
// so both sides use dist/ (run `pnpm --filter @taskq/core build` first).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  actor,
  cancel,
  InvalidArgument,
  IsolationError,
  loadActorModule,
  StubBroker,
  TimeLimitExceeded,
  Worker,
} from "../dist/index.js";
import type { CapturedLog } from "../dist/testing/index.js";
import { captureLogs } from "../dist/testing/index.js";
import { Canceled } from "../src/errors.js";
import { fromWireError, toWireError } from "../src/isolation/crossed-error.js";
import * as fx from "./fixtures/isolated-actors.mjs";
import * as pre from "./fixtures/preloaded-actors.mjs";
import * as px from "./fixtures/process-actors.mjs";

const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).href;

let logs: CapturedLog[];
let worker: InstanceType<typeof Worker>;

beforeAll(async () => {
  logs = captureLogs();
  worker = new Worker(fx.broker, { concurrency: 2 });
  await worker.start();
});
afterAll(async () => {
  await worker.stop({ timeout: 5000 });
});
afterEach(async () => {
  await fx.broker.flushAll();
});

async function waitFor(check: () => boolean, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeout} ms: ${check}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function result(m: { getResult(o: object): Promise<unknown> }): Promise<unknown> {
  return m.getResult({ backend: fx.results, block: true, timeout: 15_000 });
}

describe("isolation: thread", () => {
  test("an actor that ignores its time limit is terminated, retried, and the worker keeps working", async () => {
    const started = Date.now();
    const spinning = await fx.spin.send();
    // While the first spin runs, the other slot keeps serving messages.
    const sums = await Promise.all([1, 2, 3].map((i) => fx.add.send(i, i)));
    expect(await Promise.all(sums.map(result))).toEqual([2, 4, 6]);
    expect(Date.now() - started).toBeLessThan(1000);

    await fx.broker.join("default", { timeout: 15_000, failFast: false });
    const elapsed = Date.now() - started;
    // Two attempts of a 1 s limit (maxRetries 1), each ended within 2 s of its start.
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(2 * 2000 + 1000);
    const dead = fx.broker.deadLetters.map((d) => d.message?.messageId);
    expect(dead).toEqual([spinning.messageId]);
    expect(fx.broker.deadLetters[0]?.message?.options.retries).toBe(1);
    expect(String(fx.broker.deadLetters[0]?.message?.options.traceback)).toMatch(
      /^TimeLimitExceeded: spin exceeded its time limit of 1000 ms/,
    );

    // The terminated threads were replaced: both slots still run isolated actors.
    const after = await Promise.all([fx.add.send(20, 1), fx.add.send(20, 2)]);
    expect(await Promise.all(after.map(result))).toEqual([21, 22]);
  });

  test("args and results cross as JSON, as on the wire", async () => {
    const when = new Date("2024-01-02T03:04:05.000Z");
    const m = await fx.echo.send({ when, list: [1, "x"], nested: { n: null, u: undefined } });
    expect(await result(m)).toEqual({
      when: when.toISOString(),
      list: [1, "x"],
      nested: { n: null },
    });
  });

  test("a result JSON cannot carry fails the message with an EncodeError naming it", async () => {
    await fx.mapResult.send();
    await expect(fx.broker.join("default", { timeout: 15_000 })).rejects.toMatchObject({
      name: "EncodeError",
      message: expect.stringContaining("result.counts"),
    });
  });

  test("getCurrentMessage() and getAbortSignal() work inside the thread", async () => {
    const m = await fx.whereAmI.send();
    const r = (await result(m)) as { threadId: number; messageId: string; signal: boolean };
    expect(r.threadId).toBeGreaterThan(0);
    expect(r.messageId).toBe(m.messageId);
    expect(r.signal).toBe(true);
  });

  test("an error keeps its type and message, and `throws` matches it by class name", async () => {
    await fx.fatal.send();
    const join = fx.broker.join("default", { timeout: 15_000 });
    await expect(join).rejects.toMatchObject({ name: "Fatal", message: "bad input 42" });
    // throws: AppError (Fatal's parent): failed at once, not retried despite maxRetries 5.
    expect(fx.broker.deadLetters).toHaveLength(1);
    expect(fx.broker.deadLetters[0]?.message?.options.retries).toBeUndefined();
    expect(logs.some((l) => l.msg.includes("with expected exception Fatal"))).toBe(true);
  });

  test("retries behave as without isolation (backoff, Retry with a delay)", async () => {
    const m = await fx.flaky.send();
    expect(await result(m)).toBe(2);
    const later = await fx.later.send();
    await fx.broker.join("default", { timeout: 15_000, failFast: false });
    const dead = fx.broker.deadLetters.find(
      (d) => d.message?.messageId === later.messageId,
    )?.message;
    expect(dead?.options.retries).toBe(1);
    expect(String(dead?.options.traceback)).toMatch(/^Retry: /);
  });

  test("a 3 s CPU-bound isolated actor does not block the worker's event loop", async () => {
    let worst = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 20);
    try {
      await fx.burn.send(3000);
      await new Promise((r) => setTimeout(r, 100));
      // A message sent while the burn runs starts (and ends) long before it is over.
      const sent = Date.now();
      const m = await fx.add.send(1, 1);
      expect(await result(m)).toBe(2);
      expect(Date.now() - sent).toBeLessThan(1500);
      await fx.broker.join("default", { timeout: 15_000 });
    } finally {
      clearInterval(ticker);
    }
    // Without isolation the same call stalls the loop for 3 s (bench/ measures both).
    expect(worst).toBeLessThan(1000);
  });
});

describe("isolation: progress, cancel and the AbortSignal", () => {
  test("setProgress() in the thread lands in the message's state, as without isolation", async () => {
    const m = await fx.halfway.send(1500);
    const deadline = Date.now() + 10_000;
    let seen: unknown;
    while (Date.now() < deadline) {
      const state = await fx.states.get(m.messageId);
      if (state?.status === "started" && state.progress !== undefined) {
        seen = state.progress;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    // Visible while the actor still runs.
    expect(seen).toBe(0.5);
    const done = await fx.states.waitFor(m.messageId, "success", { timeout: 15_000 });
    expect(done.progress).toEqual({ done: 2, of: 2 });
    expect(await result(m)).toBe("done");
  });

  test("a cancel terminates a running isolated call within 2 s: canceled, not retried, and the worker goes on", async () => {
    const m = await fx.spinUntilCanceled.send();
    await fx.states.waitFor(m.messageId, "started", { timeout: 10_000 });
    const canceledAt = Date.now();
    await cancel([m.messageId], { broker: fx.broker });
    const state = await fx.states.waitFor(m.messageId, "canceled", { timeout: 10_000 });
    expect(Date.now() - canceledAt).toBeLessThan(2000);
    expect(state.retries).toBe(0);
    // Its thread is killed and replaced: two 1 s calls run side by side again (one after the
    // other would take 2 s; the calls burn wall-clock time, so a loaded machine does not slow them).
    const burnsAt = Date.now();
    await Promise.all([fx.burn.send(1000), fx.burn.send(1000)]);
    await fx.broker.join("default", { timeout: 15_000 });
    expect(Date.now() - burnsAt).toBeLessThan(1900);
    await fx.broker.join("default", { timeout: 15_000, failFast: false });
    expect(fx.broker.deadLetters).toEqual([]);
    expect((await fx.states.get(m.messageId))?.status).toBe("canceled");
  });

  test("getAbortSignal() in the thread aborts at the time limit, and on a cancel, with the reason", async () => {
    const channel = new BroadcastChannel(fx.SIGNAL_REPORTS);
    const reports: Array<Record<string, unknown>> = [];
    channel.onmessage = (e) => reports.push((e as MessageEvent).data);
    try {
      const started = Date.now();
      const timed = await fx.cooperative.send("timed");
      await waitFor(() => reports.some((r) => r.tag === "timed"), 10_000);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(reports.find((r) => r.tag === "timed")).toMatchObject({
        name: "TimeLimitExceeded",
        message: "cooperative exceeded its time limit of 1000 ms",
        timeLimit: true,
      });
      expect(
        (await fx.states.waitFor(timed.messageId, "failure", { timeout: 10_000 })).error,
      ).toMatchObject({ type: "TimeLimitExceeded" });

      const canceled = await fx.cooperative.send("canceled");
      await fx.states.waitFor(canceled.messageId, "started", { timeout: 10_000 });
      await cancel([canceled.messageId], { broker: fx.broker });
      await waitFor(() => reports.some((r) => r.tag === "canceled"), 10_000);
      expect(reports.find((r) => r.tag === "canceled")).toMatchObject({
        name: "Canceled",
        message: `Message ${canceled.messageId} was canceled while it ran`,
      });
      await fx.states.waitFor(canceled.messageId, "canceled", { timeout: 10_000 });
      await fx.broker.join("default", { timeout: 15_000, failFast: false });
    } finally {
      channel.close();
    }
  });

  test("a Canceled thrown in the thread crosses back as Canceled (never retried)", () => {
    const crossed = fromWireError(toWireError(new Canceled("stop")));
    expect(crossed).toBeInstanceOf(Canceled);
    expect(crossed.message).toBe("stop");
  });
});

describe("isolation: callbacks and retryWhen", () => {
  test("onSuccess and onFailure get the isolated actor's result and error, as without isolation", async () => {
    fx.callbackLog.length = 0;
    await fx.withCallbacks.send(21);
    await fx.withCallbacks.send(-1);
    await fx.broker.join("default", { timeout: 15_000, failFast: false });
    expect(fx.callbackLog).toHaveLength(2);
    expect(fx.callbackLog).toContainEqual({ on: "success", result: 42 });
    expect(fx.callbackLog).toContainEqual({
      on: "failure",
      error: { type: "RangeError", message: "negative: -1" },
    });
  });

  test("retryWhen sees the crossed error by name and message", async () => {
    const m = await fx.choosy.send();
    await fx.broker.join("default", { timeout: 15_000, failFast: false });
    const dead = fx.broker.deadLetters.find((d) => d.message?.messageId === m.messageId)?.message;
    // Retried twice for Transient, then dead at once for the TypeError (maxRetries 10).
    expect(dead?.options.retries).toBe(2);
    expect(String(dead?.options.traceback)).toMatch(/^TypeError: for good/);
  });
});

describe("isolation: declaration and boot", () => {
  test("isolation without actorModule outside the CLI is an error at declaration", () => {
    const broker = new StubBroker();
    expect(() => actor(() => 1, { broker, actorName: "lost", isolation: "thread" })).toThrow(
      InvalidArgument,
    );
    expect(() => actor(() => 1, { broker, actorName: "lost", isolation: "thread" })).toThrow(
      /no actorModule: pass actorModule: import\.meta\.url/,
    );
  });

  test("loadActorModule gives the actors a module declares their actorModule", async () => {
    const broker = new StubBroker();
    const url = fixture("isolated-actors.mjs");
    const a = await loadActorModule(url, async () =>
      actor(() => 1, { broker, actorName: "loaded", isolation: "thread" }),
    );
    expect(a.options.actorModule).toBe(url);
  });

  test("an isolation value other than thread or process is refused", () => {
    const broker = new StubBroker();
    expect(() =>
      actor(() => 1, {
        broker,
        actorName: "odd",
        // @ts-expect-error: checked at run time too
        isolation: "fiber",
        actorModule: fixture("isolated-actors.mjs"),
      }),
    ).toThrow(/Option isolation of actor odd must be "thread" or "process"/);
  });

  test("a missing actor module is an error at worker boot, naming it", async () => {
    const broker = new StubBroker();
    const url = fixture("does-not-exist.mjs");
    actor(() => 1, { broker, actorName: "ghost", isolation: "thread", actorModule: url });
    const w = new Worker(broker, { concurrency: 1 });
    const boot = w.start();
    await expect(boot).rejects.toBeInstanceOf(IsolationError);
    await expect(boot).rejects.toThrow(`could not import actor module ${url}`);
    await w.stop();
  });

  test("an actor module that throws at import is an error at worker boot", async () => {
    const broker = new StubBroker();
    const url = fixture("boot-fails.mjs");
    actor(() => 1, { broker, actorName: "heavy", isolation: "thread", actorModule: url });
    const w = new Worker(broker, { concurrency: 1 });
    await expect(w.start()).rejects.toThrow(
      /boot-fails\.mjs: Error: cannot load the model weights/,
    );
  });

  test("an actor its module does not declare is an error at worker boot", async () => {
    const broker = new StubBroker();
    const url = fixture("isolated-actors.mjs");
    actor(() => 1, { broker, actorName: "elsewhere", isolation: "thread", actorModule: url });
    const w = new Worker(broker, { concurrency: 1 });
    await expect(w.start()).rejects.toThrow(
      /not declared when their module was imported.*elsewhere/,
    );
  });

  test("isolated calls count against concurrency, whatever the pool size", async () => {
    const w = new Worker(pre.broker, { concurrency: 1, isolationThreads: 2 });
    await w.start();
    try {
      const started = Date.now();
      await Promise.all([pre.nap.send(600), pre.nap.send(600)]);
      await pre.broker.join("default", { timeout: 15_000 });
      // One slot: the second nap starts when the first ends, though a thread is free.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    } finally {
      await w.stop({ timeout: 5000 });
    }
  });

  test("isolation and actorModule are never on the wire", () => {
    const options = fx.add.message(1, 2).asDict().options;
    expect(Object.keys(options)).not.toContain("isolation");
    expect(Object.keys(options)).not.toContain("actor_module");
    expect(Object.keys(options)).not.toContain("actorModule");
    expect(JSON.stringify(fx.add.message(1, 2).asDict())).not.toContain("isolated-actors.mjs");
  });

  test("isolationPreload modules are imported in each thread before the actor modules", async () => {
    const w = new Worker(pre.broker, {
      concurrency: 1,
      isolationPreload: [fixture("preload-flag.mjs")],
    });
    await w.start();
    try {
      const m = await pre.preloaded.send();
      expect(await m.getResult({ backend: pre.results, block: true, timeout: 15_000 })).toBe(
        "preloaded",
      );
    } finally {
      await w.stop({ timeout: 5000 });
    }
  });

  test("a preload module that cannot be imported is an error at worker boot, naming it", async () => {
    const url = fixture("no-such-loader.mjs");
    const w = new Worker(pre.broker, { concurrency: 1, isolationPreload: [url] });
    await expect(w.start()).rejects.toThrow(`could not import preload module ${url}`);
    expect(() => new Worker(pre.broker, { isolationPreload: "tsx" as never })).toThrow(
      /Worker option isolationPreload must be an array of module URLs/,
    );
  });

  test.each([
    ["thread", "stop-exits.mjs", [], "stopped 3"],
    ["process", "stop-exits-process.mjs", [], "stopped number"],
    // Idle members are unref'd: stop() must still hold the process until they are gone, or a
    // script with nothing else alive ends inside `await worker.stop()` (exit code 13).
    ["thread, stopped while idle,", "stop-idle.mjs", ["thread"], "stopped thread"],
    ["process, stopped while idle,", "stop-idle.mjs", ["process"], "stopped process"],
  ])(
    "once worker.stop() resolves, no pool %s keeps the process alive",
    async (_kind, name, args, said) => {
      const script = fileURLToPath(fixture(name));
      const child = spawn(process.execPath, [script, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => {
        out += String(d);
      });
      child.stderr.on("data", (d) => {
        err += String(d);
      });
      const code = await new Promise<number | null>((resolve, reject) => {
        const t = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`the script did not exit after stop(); output: ${out}`));
        }, 20_000);
        child.on("exit", (c) => {
          clearTimeout(t);
          resolve(c);
        });
      });
      expect({ out, code }, `stderr: ${err.slice(-2000)}`).toMatchObject({
        out: expect.stringContaining(said),
        code: 0,
      });
    },
  );
});

describe("isolation: process", () => {
  test("runs in a child process and terminates a runaway call at its time limit", async () => {
    const w = new Worker(px.broker, { concurrency: 1 });
    await w.start();
    try {
      const m = await px.pid.send();
      const pid = await m.getResult({ backend: px.results, block: true, timeout: 15_000 });
      expect(typeof pid).toBe("number");
      expect(pid).not.toBe(process.pid);

      const started = Date.now();
      await px.spinForever.send();
      await px.broker.join("default", { timeout: 15_000, failFast: false });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(String(px.broker.deadLetters[0]?.message?.options.traceback)).toMatch(
        /^TimeLimitExceeded/,
      );

      // The killed process was replaced.
      const again = await px.pid.send();
      const pid2 = await again.getResult({ backend: px.results, block: true, timeout: 15_000 });
      expect(pid2).not.toBe(pid);
    } finally {
      await w.stop({ timeout: 5000 });
    }
  });
});

describe("isolation: process, progress and the AbortSignal", () => {
  test("setProgress() and getAbortSignal() work in a child process too", async () => {
    const w = new Worker(px.broker, { concurrency: 1 });
    await w.start();
    try {
      const out = join(tmpdir(), `taskq-patient-${process.pid}-${Date.now()}.json`);
      const m = await px.patient.send(out);
      const deadline = Date.now() + 10_000;
      let progress: unknown;
      while (progress === undefined && Date.now() < deadline) {
        const state = await px.states.get(m.messageId);
        if (state?.status === "started") progress = state.progress;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(progress).toBe(0.5);
      const failed = await px.states.waitFor(m.messageId, "failure", { timeout: 10_000 });
      expect(failed.error).toMatchObject({ type: "TimeLimitExceeded" });
      // Within its grace the actor saw its signal abort, with the reason, and said so.
      await expect.poll(() => existsSync(out), { timeout: 10_000 }).toBe(true);
      const seen = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
      rmSync(out);
      expect(seen).toMatchObject({
        name: "TimeLimitExceeded",
        message: "patient exceeded its time limit of 1000 ms",
      });
      expect(seen.pid).not.toBe(process.pid);
      await px.broker.join("default", { timeout: 15_000, failFast: false });
    } finally {
      await w.stop({ timeout: 5000 });
    }
  });
});

// Keeps TimeLimitExceeded imported for readers: it is what the dead letters above carry.
void TimeLimitExceeded;
