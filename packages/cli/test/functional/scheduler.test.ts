import { rmSync } from "node:fs";
import { sleep } from "@taskq/core/testing";
import { afterEach, describe, expect, test } from "vitest";
import type { Running } from "../helpers.js";
import { records, taskq, taskqDone, testEnv, waitUntil } from "../helpers.js";

const running: Running[] = [];
const files: string[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill("SIGKILL");
      await run.exited;
    }
  }
  for (const f of files.splice(0)) rmSync(f, { force: true });
});

function start(args: string[], env: ReturnType<typeof testEnv>): Running {
  const run = taskq(args, env);
  running.push(run);
  files.push(env.TASKQ_TEST_OUT);
  return run;
}

const beats = (env: ReturnType<typeof testEnv>) =>
  records(env)
    .filter((r) => r.actor === "beat")
    .map((r) => r.scheduledFor as number);

describe("taskq scheduler / schedules / --scheduler", () => {
  test("a fleet without --scheduler runs no schedules; taskq scheduler runs them, exits 0 on SIGTERM; taskq schedules lists them", async () => {
    const env = testEnv();
    const fleet = start(["schedules.mjs", "-p", "1"], env);
    await fleet.waitFor(/ready for action/);
    await sleep(2500);
    expect(beats(env)).toEqual([]);

    const scheduler = start(["scheduler", "schedules.mjs"], env);
    await scheduler.waitFor(/The scheduler is running/);
    await waitUntil(() => beats(env).length >= 3, { timeout: 20_000, what: "3 beats ran" });
    scheduler.child.kill("SIGTERM");
    expect(await scheduler.exited).toBe(0);
    const ticks = beats(env);
    expect(new Set(ticks).size).toBe(ticks.length);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(1000);

    const listed = await taskqDone(["schedules", "schedules.mjs"], env);
    expect(listed.code).toBe(0);
    const lines = listed.output
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("["));
    expect(lines[0]).toMatch(/^name +spec +next +last +last message id$/);
    expect(lines[1]).toMatch(
      /^beat +every 1s +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z +\d{4}-\d\d-\d\dT[\d:.]+Z +[0-9a-f-]{36}$/,
    );
    const last = new Date(lines[1]!.split(/ +/)[4]!).getTime(); // after "every 1s" and next
    await waitUntil(() => beats(env).includes(last), { what: "the last listed run ran" });
    expect(lines[2]).toMatch(
      /^nightly +30 2 \* \* \* +\d{4}-\d\d-\d\dT\d\d:(00|30):00\.000Z +- +-$/,
    );
    expect(lines).toHaveLength(3);
    fleet.child.kill("SIGTERM");
    expect(await fleet.exited).toBe(0);
  });

  test("taskq <module> --scheduler runs the schedules in the fleet's main process", async () => {
    const env = testEnv();
    const fleet = start(["schedules.mjs", "-p", "1", "--scheduler"], env);
    await fleet.waitFor(/The scheduler is running in the main process/);
    expect(fleet.output()).toMatch(
      /\[MainProcess\] \[taskq\.MainProcess\] \[INFO\] The scheduler is running/,
    );
    await waitUntil(() => beats(env).length >= 2, { timeout: 20_000, what: "2 beats ran" });
    fleet.child.kill("SIGTERM");
    expect(await fleet.exited).toBe(0);
  });

  test("a module without a scheduler is exit 2 naming what to export", async () => {
    const env = testEnv();
    const result = await taskqDone(["scheduler", "app.mjs"], env);
    expect(result.code).toBe(2);
    expect(result.output).toContain(
      'taskq: None of app.mjs has a scheduler: export a Scheduler (from @taskq/scheduler) as "scheduler" or as the default export',
    );
  });
});
