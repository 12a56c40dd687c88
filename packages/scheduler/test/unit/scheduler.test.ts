import type { Message } from "@taskq/core";
import { InvalidArgument, StubBroker } from "@taskq/core";
import { captureLogs } from "@taskq/core/testing";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { MemoryScheduleStore, Scheduler } from "../../src/index.js";
import { fakeTime, MINUTE, run, SECOND, setup } from "./helpers.js";

const T0 = "2026-01-01T00:00:00.000Z";
let logs: ReturnType<typeof captureLogs>;
const schedulers: Scheduler[] = [];

beforeEach(() => {
  logs = captureLogs();
});
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  vi.useRealTimers();
});

function scheduler(options: ConstructorParameters<typeof Scheduler>[0]): Scheduler {
  const s = new Scheduler(options);
  schedulers.push(s);
  return s;
}

describe("every", () => {
  test("sends one message per tick on the grid, carrying schedule_name and scheduled_for", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const s = scheduler({ broker });
    await s.every("report", task, MINUTE, { args: [7] });
    await s.start();
    await run(3 * MINUTE + SECOND);
    expect(sent.ticks()).toEqual([t0, t0 + MINUTE, t0 + 2 * MINUTE, t0 + 3 * MINUTE]);
    for (const { message, at } of sent.messages) {
      expect(message.options.schedule_name).toBe("report");
      expect(message.actorName).toBe("task");
      expect(message.args).toEqual([7]);
      // Sent when due, not a second late.
      expect(at - (message.options.scheduled_for as number)).toBeLessThan(SECOND);
    }
    const ids = sent.messages.map((m) => m.message.messageId);
    expect(new Set(ids).size).toBe(4);
    const [info] = await s.list();
    expect(info).toEqual({
      name: "report",
      spec: { every: MINUTE },
      nextRun: t0 + 4 * MINUTE,
      lastRun: t0 + 3 * MINUTE,
      lastMessageId: ids[3],
      enabled: true,
    });
  });

  test("a restart keeps the grid; a changed interval re-anchors it", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const store = new MemoryScheduleStore();
    const first = scheduler({ broker, store });
    await first.every("sync", task, MINUTE);
    await first.start();
    await run(90 * SECOND);
    await first.stop();
    expect(sent.ticks()).toEqual([t0, t0 + MINUTE]);

    await run(20 * SECOND); // now t0 + 110 s
    const second = scheduler({ broker, store });
    await second.every("sync", task, MINUTE);
    await second.start();
    await run(SECOND);
    expect(sent.ticks()).toHaveLength(2); // not re-run at start: the grid holds
    await run(10 * SECOND); // t0 + 121 s
    expect(sent.ticks()).toEqual([t0, t0 + MINUTE, t0 + 2 * MINUTE]);
    await second.stop();

    const third = scheduler({ broker, store });
    await third.every("sync", task, 45 * SECOND);
    const restart = Date.now();
    await third.start();
    await run(50 * SECOND);
    expect(sent.ticks().slice(3)).toEqual([restart, restart + 45 * SECOND]);
    expect(
      logs.some((l) => l.level === "info" && /changed from .*60000.* to .*45000/.test(l.msg)),
    ).toBe(true);
  });

  test("the same scheduler stopped and started again sends again", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const s = scheduler({ broker });
    await s.every("job", task, MINUTE);
    await s.start();
    await run(SECOND);
    await s.stop();
    await run(MINUTE);
    expect(sent.ticks()).toEqual([t0]);
    await s.start();
    await run(SECOND);
    expect(sent.ticks()).toEqual([t0, t0 + MINUTE]);
  });

  test("startAt sets the grid's origin", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const s = scheduler({ broker });
    await s.every("aligned", task, 10 * MINUTE, { startAt: new Date(t0 - 25 * MINUTE) });
    await s.start();
    expect((await s.list())[0]!.nextRun).toBe(t0 + 5 * MINUTE);
    await run(16 * MINUTE);
    expect(sent.ticks()).toEqual([t0 + 5 * MINUTE, t0 + 15 * MINUTE]);
  });
});

describe("missed runs after downtime", () => {
  /** One tick sent at t0, then 10 min 30 s with no scheduler (ticks 1..10 missed). */
  async function downtime(options: Parameters<Scheduler["every"]>[3]) {
    const t0 = fakeTime(T0);
    const env = setup();
    const store = new MemoryScheduleStore();
    const before = scheduler({ broker: env.broker, store });
    await before.every("job", env.task, MINUTE, options);
    await before.start();
    await run(SECOND);
    await before.stop();
    await run(10 * MINUTE + 29 * SECOND);
    const after = scheduler({ broker: env.broker, store });
    await after.every("job", env.task, MINUTE, options);
    logs.length = 0;
    await after.start();
    await run(SECOND);
    return { ...env, t0, after };
  }

  test('"skip" sends none of them and runs at the next future tick', async () => {
    const { sent, t0, after } = await downtime({ missed: "skip" });
    expect(sent.ticks()).toEqual([t0]);
    expect((await after.list())[0]!.nextRun).toBe(t0 + 11 * MINUTE);
    const warning = logs.find((l) => l.level === "warn");
    expect(warning?.msg).toBe(
      'Schedule "job" missed 10 run(s) from 2026-01-01T00:01:00.000Z to 2026-01-01T00:10:00.000Z while no scheduler ran; not sending them (missed: "skip").',
    );
    await run(MINUTE);
    expect(sent.ticks()).toEqual([t0, t0 + 11 * MINUTE]);
  });

  test('"once" sends one catch-up, for the latest missed tick', async () => {
    const { sent, t0 } = await downtime({ missed: "once" });
    expect(sent.ticks()).toEqual([t0, t0 + 10 * MINUTE]);
    const warnings = logs.filter((l) => l.level === "warn").map((l) => l.msg);
    expect(warnings).toContain(
      'Schedule "job" missed its run at 2026-01-01T00:10:00.000Z while no scheduler ran; sending it now (missed: "once").',
    );
    expect(
      warnings.some((m) =>
        m.includes("missed 9 run(s) from 2026-01-01T00:01:00.000Z to 2026-01-01T00:09:00.000Z"),
      ),
    ).toBe(true);
    await run(MINUTE);
    expect(sent.ticks()).toEqual([t0, t0 + 10 * MINUTE, t0 + 11 * MINUTE]);
  });

  test('"all" sends every missed tick in order, each logged', async () => {
    const { sent, t0 } = await downtime({ missed: "all" });
    const missed = Array.from({ length: 10 }, (_, i) => t0 + (i + 1) * MINUTE);
    expect(sent.ticks()).toEqual([t0, ...missed]);
    const catchUps = logs.filter((l) => l.level === "warn" && l.msg.includes("sending it now"));
    expect(catchUps.map((l) => l.msg.match(/run at (\S+) /)![1])).toEqual(
      missed.map((t) => new Date(t).toISOString()),
    );
  });

  test('"all" stops at maxCatchUp: the latest ones, the rest logged as not sent', async () => {
    const { sent, t0 } = await downtime({ missed: "all", maxCatchUp: 3 });
    expect(sent.ticks()).toEqual([t0, t0 + 8 * MINUTE, t0 + 9 * MINUTE, t0 + 10 * MINUTE]);
    expect(
      logs.some(
        (l) =>
          l.level === "warn" &&
          l.msg.includes("missed 7 run(s)") &&
          l.msg.includes("maxCatchUp: 3"),
      ),
    ).toBe(true);
  });

  test("a tick a few seconds late (a quick restart) is on time, not missed", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const store = new MemoryScheduleStore();
    const before = scheduler({ broker, store });
    await before.every("job", task, MINUTE, { missed: "skip" });
    await before.start();
    await run(58 * SECOND);
    await before.stop();
    await run(5 * SECOND); // the tick at t0 + 60 s falls due while none runs
    const after = scheduler({ broker, store });
    await after.every("job", task, MINUTE, { missed: "skip" });
    await after.start();
    await run(10);
    expect(sent.ticks()).toEqual([t0, t0 + MINUTE]);
    expect(logs.filter((l) => l.level === "warn")).toEqual([]);
  });
});

describe("several schedulers on one store", () => {
  test("send each tick once between them", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const store = new MemoryScheduleStore();
    for (let i = 0; i < 3; i++) {
      const s = scheduler({ broker, store });
      await s.every("shared", task, SECOND, { missed: "all" });
      await s.cron("shared-cron", task, "*/2 * * * * *", { missed: "all" });
      await s.start();
    }
    await run(20 * SECOND + 500);
    const every = sent.messages.filter((m) => m.message.options.schedule_name === "shared");
    const cron = sent.messages.filter((m) => m.message.options.schedule_name === "shared-cron");
    expect(every.map((m) => m.message.options.scheduled_for)).toEqual(
      Array.from({ length: 21 }, (_, i) => t0 + i * SECOND),
    );
    expect(cron.map((m) => m.message.options.scheduled_for)).toEqual(
      Array.from({ length: 11 }, (_, i) => t0 + i * 2 * SECOND),
    );
  });

  test("a tick claimed by a scheduler that dies before sending it is sent by another within 5 s", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const store = new MemoryScheduleStore();
    // This scheduler's broker never answers: it claims the tick and never gets to send it,
    // as if it had been killed right after the claim.
    class Hung extends StubBroker {
      protected override doEnqueue<R>(): Promise<Message<R>> {
        return new Promise(() => {});
      }
    }
    const hungBroker = new Hung();
    hungBroker.declareQueue("default");
    const dying = new Scheduler({ broker: hungBroker, store });
    await dying.every("job", task, MINUTE);
    await dying.start();
    await run(10);
    expect(JSON.parse((await store.get("job"))!.claim!).ticks).toEqual([{ at: t0, late: false }]);

    const survivor = scheduler({ broker, store });
    await survivor.every("job", task, MINUTE);
    await survivor.start();
    await run(5 * SECOND);
    expect(sent.ticks()).toEqual([t0]);
    expect(sent.messages[0]!.at - t0).toBeLessThanOrEqual(5 * SECOND);
    expect(
      logs.some(
        (l) =>
          l.level === "warn" &&
          /claimed run\(s\) 2026-01-01T00:00:00.000Z and did not send them/.test(l.msg),
      ),
    ).toBe(true);
    await run(MINUTE);
    expect(sent.ticks()).toEqual([t0, t0 + MINUTE]);
  });

  test("a broker that fails for a while delays the tick but does not lose it", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    let failures = 3;
    const original = broker.enqueue.bind(broker);
    broker.enqueue = ((message: Message, options?: { delay?: number }) => {
      if (failures-- > 0) return Promise.reject(new Error("broker down"));
      return original(message, options);
    }) as typeof broker.enqueue;
    const s = scheduler({ broker });
    await s.every("job", task, MINUTE);
    await s.start();
    await run(30 * SECOND);
    expect(sent.ticks()).toEqual([t0]);
    expect(logs.filter((l) => l.level === "error" && l.msg.includes("broker down"))).toHaveLength(
      3,
    );
  });
});

describe("trigger, remove, enabled", () => {
  test("trigger sends now and records it as the last run, leaving the next run alone", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const s = scheduler({ broker });
    await s.every("job", task, 10 * MINUTE);
    await s.start();
    await run(2 * MINUTE);
    const message = await s.trigger("job");
    expect(message.options).toMatchObject({ schedule_name: "job", scheduled_for: t0 + 2 * MINUTE });
    expect(sent.ticks()).toEqual([t0, t0 + 2 * MINUTE]);
    const [info] = await s.list();
    expect(info).toMatchObject({
      nextRun: t0 + 10 * MINUTE,
      lastRun: t0 + 2 * MINUTE,
      lastMessageId: message.messageId,
    });
    await expect(s.trigger("nope")).rejects.toThrow(
      'No schedule named "nope"; declared are: "job"',
    );
  });

  test("remove stops a schedule and forgets its state", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const store = new MemoryScheduleStore();
    const s = scheduler({ broker, store });
    await s.every("job", task, MINUTE);
    await s.every("other", task, MINUTE);
    await s.start();
    await run(SECOND);
    await s.remove("job");
    await run(3 * MINUTE);
    const jobs = sent.messages.filter((m) => m.message.options.schedule_name === "job");
    expect(jobs.map((m) => m.message.options.scheduled_for)).toEqual([t0]);
    expect(await store.get("job")).toBeUndefined();
    expect((await s.list()).map((i) => i.name)).toEqual(["other"]);
  });

  test("a disabled schedule is listed, not run; re-enabled, it does not catch up the time it was off", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const store = new MemoryScheduleStore();
    const off = scheduler({ broker, store });
    await off.every("job", task, MINUTE, { missed: "all", startAt: t0 });
    await off.start();
    await run(5 * MINUTE);
    expect(sent.ticks()).toEqual([
      t0,
      t0 + MINUTE,
      t0 + 2 * MINUTE,
      t0 + 3 * MINUTE,
      t0 + 4 * MINUTE,
      t0 + 5 * MINUTE,
    ]);
    await off.stop();

    const disabled = scheduler({ broker, store });
    await disabled.every("job", task, MINUTE, { missed: "all", startAt: t0, enabled: false });
    await disabled.start();
    await run(10 * MINUTE + 30 * SECOND);
    expect(sent.ticks()).toHaveLength(6);
    expect(await disabled.list()).toEqual([
      expect.objectContaining({
        name: "job",
        enabled: false,
        nextRun: null,
        lastRun: t0 + 5 * MINUTE,
      }),
    ]);
    await disabled.stop();

    const on = scheduler({ broker, store });
    await on.every("job", task, MINUTE, { missed: "all", startAt: t0 });
    await on.start();
    await run(20 * SECOND);
    expect(sent.ticks()).toHaveLength(6);
    await run(MINUTE);
    expect(sent.ticks().slice(6)).toEqual([t0 + 16 * MINUTE]);
  });
});

describe("what is sent", () => {
  test("a message target keeps its args and options and gains schedule_name and scheduled_for", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const s = scheduler({ broker });
    await s.every("msg", task.messageWithOptions({ args: [3], maxRetries: 1 }), MINUTE);
    await s.start();
    await run(SECOND);
    const { message } = sent.messages[0]!;
    expect(message.args).toEqual([3]);
    expect(message.options).toMatchObject({
      max_retries: 1,
      schedule_name: "msg",
      scheduled_for: t0,
    });
  });

  test("jitter delays each message by at most jitter ms, not the grid", async () => {
    const t0 = fakeTime(T0);
    const { broker, sent, task } = setup();
    const s = scheduler({ broker });
    await s.every("j", task, MINUTE, { jitter: 20 * SECOND });
    await s.start();
    await run(10 * MINUTE + SECOND);
    expect(sent.ticks()).toEqual(Array.from({ length: 11 }, (_, i) => t0 + i * MINUTE));
    const delays = sent.messages.map((m) => m.delay ?? 0);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(0);
    for (const d of delays) expect(d).toBeLessThan(20 * SECOND);
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  test("a re-sent tick has the same message id", async () => {
    fakeTime(T0);
    const a = setup();
    const b = setup();
    const s1 = scheduler({ broker: a.broker });
    const s2 = scheduler({ broker: b.broker });
    await s1.every("same", a.task, MINUTE, { startAt: Date.parse(T0) });
    await s2.every("same", b.task, MINUTE, { startAt: Date.parse(T0) });
    await s1.start();
    await s2.start();
    await run(SECOND);
    expect(a.sent.messages[0]!.message.messageId).toBe(b.sent.messages[0]!.message.messageId);
    expect(a.sent.messages[0]!.message.messageId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  test("an injected clock decides when ticks are", async () => {
    fakeTime(T0);
    const { broker, sent, task } = setup();
    const offset = 365 * 24 * 60 * MINUTE;
    const s = scheduler({
      broker,
      clock: {
        now: () => Date.now() + offset,
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      },
    });
    await s.every("later", task, MINUTE);
    await s.start();
    await run(MINUTE + SECOND);
    expect(sent.ticks()).toEqual([Date.parse(T0) + offset, Date.parse(T0) + offset + MINUTE]);
  });
});

describe("bad input", () => {
  const { task } = setup();
  const s = new Scheduler({ broker: task.broker });

  test.each([
    [
      () => s.cron("c", task, "61 * * * *"),
      'Schedule "c": invalid cron pattern "61 * * * *": CronPattern: Invalid value for minute: 61',
    ],
    [
      () => s.cron("c", task, "* * *"),
      'Schedule "c": cron pattern "* * *" must have 5 fields (minute hour day month weekday) or 6 (seconds first), it has 3',
    ],
    [() => s.cron("c", task, "0 0 31 2 *"), 'Schedule "c": cron pattern "0 0 31 2 *" never fires'],
    [
      () => s.cron("c", task, "0 5 * * *", { timezone: "Mars/Olympus" }),
      'Schedule "c": unknown time zone "Mars/Olympus" (give an IANA name such as "Europe/Paris")',
    ],
    [
      () => s.every("e", task, 0),
      'Schedule "e": the interval must be a whole number of ms > 0, got 0',
    ],
    [
      () => s.every("e", task, MINUTE, { missed: "sometimes" as never }),
      'Schedule "e" option missed must be one of "skip", "once", "all", got "sometimes"',
    ],
    [
      () => s.every("e", task, MINUTE, { maxCatchup: 3 } as never),
      'Schedule "e": unknown option "maxCatchup"; accepted are args, kwargs, timezone, missed, maxCatchUp, startAt, jitter, enabled',
    ],
    [
      () => s.every("e", task.message(), MINUTE, { args: [1] }),
      'Schedule "e": args and kwargs go with an actor; a message carries its own',
    ],
    [
      () => s.every("e", "task" as never, MINUTE),
      'Schedule "e": what to send must be an actor or a Message, got "task"',
    ],
    [
      () => s.every("", task, MINUTE),
      'A schedule\'s name must be a string of 1 to 200 characters, got ""',
    ],
    [
      () => new Scheduler({ timezone: "Nowhere" }),
      'Scheduler: unknown time zone "Nowhere" (give an IANA name such as "Europe/Paris")',
    ],
    [
      () => new Scheduler({ grace: -1 }),
      "Scheduler option grace must be a finite number ≥ 0, got -1",
    ],
    [
      () => new Scheduler({ store: {} as never }),
      "Scheduler option store must be a ScheduleStore, got {}",
    ],
  ])("%# is an InvalidArgument naming the problem", (call, message) => {
    let error: unknown;
    try {
      void call();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidArgument);
    expect((error as Error).message).toBe(message);
  });

  test("a name is declared once", () => {
    const t = new Scheduler({ broker: task.broker });
    void t.every("dup", task, MINUTE);
    expect(() => t.every("dup", task, MINUTE)).toThrow('Schedule "dup" is already declared');
  });
});
