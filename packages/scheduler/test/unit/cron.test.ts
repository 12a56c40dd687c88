import { captureLogs } from "@taskq/core/testing";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Scheduler } from "../../src/index.js";
import { at, DAY, fakeTime, HOUR, MINUTE, run, SECOND, setup } from "./helpers.js";

const schedulers: Scheduler[] = [];
beforeEach(() => {
  captureLogs();
});
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  vi.useRealTimers();
});

async function cronRun(pattern: string, options: { timezone?: string } = {}) {
  const env = setup();
  const s = new Scheduler({
    broker: env.broker,
    ...(options.timezone ? { timezone: options.timezone } : {}),
  });
  schedulers.push(s);
  await s.cron("c", env.task, pattern);
  await s.start();
  return { ...env, s };
}

const isoTicks = (ticks: number[]) => ticks.map((t) => new Date(t).toISOString());

describe("cron patterns", () => {
  test('"0 5 * * tue": 05:00 UTC on Tuesdays (named days, default time zone UTC)', async () => {
    fakeTime("2026-01-01T00:00:00Z"); // a Thursday
    const { sent, s } = await cronRun("0 5 * * tue");
    expect((await s.list())[0]!.nextRun).toBe(at("2026-01-06T05:00:00Z"));
    await run(14 * DAY);
    expect(isoTicks(sent.ticks())).toEqual([
      "2026-01-06T05:00:00.000Z",
      "2026-01-13T05:00:00.000Z",
    ]);
  });

  test("seconds are optional: a 6-field pattern ticks on seconds", async () => {
    fakeTime("2026-01-01T00:00:00.500Z");
    const { sent } = await cronRun("*/15 * * * * *");
    await run(MINUTE);
    expect(isoTicks(sent.ticks())).toEqual([
      "2026-01-01T00:00:15.000Z",
      "2026-01-01T00:00:30.000Z",
      "2026-01-01T00:00:45.000Z",
      "2026-01-01T00:01:00.000Z",
    ]);
  });

  test("ranges, steps, named months and L (last day of the month)", async () => {
    fakeTime("2026-01-01T00:00:00Z");
    const env = setup();
    const s = new Scheduler({ broker: env.broker });
    schedulers.push(s);
    await s.cron("last-day", env.task, "0 23 L JAN-MAR *");
    await s.cron("work-hours", env.task, "30 9-17/4 * * mon-fri");
    await s.start();
    await run(3 * DAY);
    const by = (name: string) =>
      isoTicks(
        env.sent.messages
          .filter((m) => m.message.options.schedule_name === name)
          .map((m) => m.message.options.scheduled_for as number),
      );
    // 2026-01-01 is a Thursday: Thursday and Friday, then the weekend.
    expect(by("work-hours")).toEqual([
      "2026-01-01T09:30:00.000Z",
      "2026-01-01T13:30:00.000Z",
      "2026-01-01T17:30:00.000Z",
      "2026-01-02T09:30:00.000Z",
      "2026-01-02T13:30:00.000Z",
      "2026-01-02T17:30:00.000Z",
    ]);
    await run(90 * DAY);
    expect(by("last-day")).toEqual([
      "2026-01-31T23:00:00.000Z",
      "2026-02-28T23:00:00.000Z",
      "2026-03-31T23:00:00.000Z",
    ]);
  });

  test("a time zone by IANA name: 09:00 in Asia/Tokyo is 00:00 UTC", async () => {
    fakeTime("2026-06-01T00:00:01Z");
    const { sent } = await cronRun("0 9 * * *", { timezone: "Asia/Tokyo" });
    await run(2 * DAY);
    expect(isoTicks(sent.ticks())).toEqual([
      "2026-06-02T00:00:00.000Z",
      "2026-06-03T00:00:00.000Z",
    ]);
  });
});

describe("a 02:30 daily schedule in Europe/Paris across DST (croner's rule)", () => {
  test("spring forward (29 March 2026): 02:30 does not exist, so it runs at 03:00, the first time after the gap", async () => {
    fakeTime("2026-03-27T12:00:00Z");
    const { sent } = await cronRun("30 2 * * *", { timezone: "Europe/Paris" });
    await run(3 * DAY);
    expect(isoTicks(sent.ticks())).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET (UTC+1)
      "2026-03-29T01:00:00.000Z", // 03:00 CEST: clocks jumped from 02:00 to 03:00
      "2026-03-30T00:30:00.000Z", // 02:30 CEST (UTC+2)
    ]);
  });

  test("fall back (25 October 2026): 02:30 happens twice and runs once, at the first", async () => {
    fakeTime("2026-10-23T12:00:00Z");
    const { sent } = await cronRun("30 2 * * *", { timezone: "Europe/Paris" });
    await run(3 * DAY);
    expect(isoTicks(sent.ticks())).toEqual([
      "2026-10-24T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T00:30:00.000Z", // the first 02:30 (CEST); not again at 01:30Z (CET)
      "2026-10-26T01:30:00.000Z", // 02:30 CET (UTC+1)
    ]);
  });

  test("an interval pattern runs through the repeated hour on both passes, every 30 min of real time", async () => {
    fakeTime("2026-10-24T23:45:00Z"); // 01:45 CEST
    const { sent } = await cronRun("*/30 * * * *", { timezone: "Europe/Paris" });
    await run(4 * HOUR);
    const ticks = sent.ticks();
    expect(ticks).toHaveLength(8);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(30 * MINUTE);
    expect(isoTicks(ticks)[0]).toBe("2026-10-25T00:00:00.000Z");
  });

  test('"every" ignores DST: a fixed grid of real time', async () => {
    const t0 = fakeTime("2026-03-28T23:00:00Z");
    const env = setup();
    const s = new Scheduler({ broker: env.broker, timezone: "Europe/Paris" });
    schedulers.push(s);
    await s.every("hourly", env.task, HOUR);
    await s.start();
    await run(4 * HOUR + SECOND);
    expect(env.sent.ticks()).toEqual([t0, t0 + HOUR, t0 + 2 * HOUR, t0 + 3 * HOUR, t0 + 4 * HOUR]);
  });
});
