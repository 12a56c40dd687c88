import { afterEach, describe, expect, test } from "vitest";
import type { Running } from "../helpers.js";
import { records, taskq, taskqDone, testEnv, waitUntil } from "../helpers.js";

const running: Running[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill("SIGKILL");
      await run.exited;
    }
  }
});

function sentId(output: string): string {
  const id = /as message ([0-9a-f-]{36})/.exec(output)?.[1];
  if (id === undefined) throw new Error(`no message id in: ${output}`);
  return id;
}

describe("taskq status and taskq cancel against a running fleet", () => {
  test("status shows each message's state; cancel interrupts a running one and says which had finished", async () => {
    const env = testEnv();
    const fleet = taskq(["lifecycle.mjs", "--processes", "1", "--concurrency", "2"], env);
    running.push(fleet);
    await fleet.waitFor(/Worker process is ready for action/);

    const quick = sentId(
      (await taskqDone(["send", "lifecycle.mjs", "quick", "--args", "[41]"], env)).output,
    );
    await waitUntil(
      async () =>
        (await taskqDone(["status", "lifecycle.mjs", quick], env)).output.includes("success"),
      { timeout: 20_000, what: "quick's success" },
    );
    const done = await taskqDone(["status", "lifecycle.mjs", quick], env);
    expect(done.code).toBe(0);
    expect(done.output).toMatch(/^status +success$/m);
    expect(done.output).toMatch(/^actor +quick$/m);
    expect(done.output).toMatch(/^args +\[41\]$/m);
    expect(done.output).toMatch(/^ended +\d{4}-\d\d-\d\dT/m);

    const crunch = sentId(
      (await taskqDone(["send", "lifecycle.mjs", "crunch", "--args", "[10]"], env)).output,
    );
    await waitUntil(() => records(env).some((r) => r.actor === "crunch" && r.phase === "start"), {
      timeout: 20_000,
      what: "crunch started",
    });
    const started = await taskqDone(["status", "lifecycle.mjs", crunch, "--json"], env);
    expect(JSON.parse(started.output)).toMatchObject({
      status: "started",
      progress: { step: 1, of: 10 },
      retries: 0,
    });

    const canceled = await taskqDone(["cancel", "lifecycle.mjs", crunch, quick], env);
    expect(canceled.code).toBe(0);
    expect(canceled.output).toContain(`${crunch}  canceled (was started)`);
    expect(canceled.output).toContain(`${quick}  already finished (success): nothing done`);
    await waitUntil(() => records(env).some((r) => r.actor === "crunch" && r.phase === "end"), {
      timeout: 5000,
      what: "crunch interrupted",
    });
    expect(records(env).find((r) => r.phase === "end")?.reason).toBe("Canceled");
    await waitUntil(
      async () =>
        (await taskqDone(["status", "lifecycle.mjs", crunch], env)).output.includes("canceled"),
      { timeout: 10_000, what: "crunch's canceled state" },
    );
    const ended = await taskqDone(["status", "lifecycle.mjs", crunch], env);
    expect(ended.output).toMatch(/^error +Canceled: /m);
    expect(ended.output).toMatch(/^retries +0$/m);

    fleet.child.kill("SIGTERM");
    expect(await fleet.exited).toBe(0);
  });

  test("an unknown id, a module without the middleware, and bad usage are exit 2 with the reason", async () => {
    const env = testEnv();
    const unknown = await taskqDone(
      ["status", "lifecycle.mjs", "00000000-0000-4000-8000-000000000000"],
      env,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain(
      "No state recorded for message 00000000-0000-4000-8000-000000000000",
    );
    const noStates = await taskqDone(["status", "app.mjs", "x"], env);
    expect(noStates.code).toBe(2);
    expect(noStates.output).toContain("has no MessageState middleware");
    const noCancel = await taskqDone(["cancel", "app.mjs", "x"], env);
    expect(noCancel.code).toBe(2);
    expect(noCancel.output).toContain("no Cancel middleware");
    const bad = await taskqDone(["cancel", "lifecycle.mjs"], env);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain("Usage: taskq cancel <module> <message-id>...");
  });
});
