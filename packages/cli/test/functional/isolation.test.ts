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

describe("taskq with isolated actors", () => {
  test("--isolation-threads runs isolated actors of the modules it loads in a thread pool; a runaway one is terminated", async () => {
    const env = testEnv();
    const worker = taskq(
      ["isolated-app.mjs", "-p", "1", "-c", "2", "--isolation-threads", "2"],
      env,
    );
    running.push(worker);
    await worker.waitFor(/Started 2 isolation thread\(s\) for 2 actor\(s\)/);
    await worker.waitFor(/ready for action/);

    await taskqDone(["send", "isolated-app.mjs", "spin"], env);
    await waitUntil(() => records(env).some((r) => r.actor === "spin"), {
      timeout: 20_000,
      what: "spin to start",
    });
    // With one thread spinning, the other still serves.
    await taskqDone(["send", "isolated-app.mjs", "where", "--args", '["during"]'], env);
    await waitUntil(() => records(env).some((r) => r.tag === "during"), {
      timeout: 20_000,
      what: "where to run while spin spins",
    });
    await worker.waitFor(/Time limit of 1000 ms exceeded/);
    // The spinning thread was terminated and replaced: two threads serve again.
    for (const tag of ["after-1", "after-2"])
      await taskqDone(["send", "isolated-app.mjs", "where", "--args", JSON.stringify([tag])], env);
    await waitUntil(
      () => records(env).filter((r) => String(r.tag).startsWith("after")).length === 2,
      {
        timeout: 20_000,
        what: "where to run after the spin",
      },
    );
    for (const r of records(env).filter((r) => r.actor === "where")) {
      expect(r.threadId).toBeGreaterThan(0);
      expect(typeof r.messageId).toBe("string");
    }

    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });

  test("an actor module a pool thread cannot import fails the worker at boot (exit 2), naming it", async () => {
    const { code, output } = await taskqDone(["isolated-bad.mjs", "-p", "1"], testEnv());
    expect(code).toBe(2);
    expect(output).toMatch(
      /could not import actor module file:.*isolated-bad\.mjs: Error: the GPU is not visible from this thread/,
    );
  });

  test("--isolation-threads must be a whole number ≥ 1", async () => {
    const { code, output } = await taskqDone(
      ["isolated-app.mjs", "--isolation-threads", "0"],
      testEnv(),
    );
    expect(code).toBe(2);
    expect(output).toContain("--isolation-threads must be a whole number ≥ 1");
  });
});
