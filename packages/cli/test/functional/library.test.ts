import { readFileSync } from "node:fs";
import { afterEach, describe, expect, test } from "vitest";
import type { Running, WorkerCommand } from "../helpers.js";
import { node, records, taskqDone, testEnv, waitUntil } from "../helpers.js";

const VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

const running: Running[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill("SIGKILL");
      await run.exited;
    }
  }
});

const command: WorkerCommand = {
  modules: ["app.mjs"],
  processes: 1,
  concurrency: 2,
  isolationThreads: undefined,
  queues: undefined,
  paths: [],
  pidFile: undefined,
  logFile: undefined,
  watch: undefined,
  shutdownTimeout: 10_000,
  verbose: false,
  scheduler: false,
};

describe("@taskq/cli as a library", () => {
  test.each([
    ["require (CommonJS build)", "library.cjs"],
    ["import (ESM build)", "library.mjs"],
  ])("%s: runSupervisor runs a worker that processes messages", async (_how, script) => {
    const env = testEnv();
    const run = node([script], env, undefined, { TASKQ_TEST_COMMAND: JSON.stringify(command) });
    running.push(run);
    await run.waitFor(/Worker process is ready for action/);
    expect(run.output()).toContain(`taskq ${VERSION} is booting up.`);
    await taskqDone(["send", "app.mjs", "echo", "--args", `[${JSON.stringify(script)}]`], env);
    await waitUntil(() => records(env).some((r) => r.actor === "echo" && r.value === script), {
      what: "echo ran",
    });
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  });

  test("taskq --version prints the package's own version", async () => {
    const { code, stdout } = await taskqDone(["--version"], testEnv());
    expect(code).toBe(0);
    expect(stdout).toBe(`taskq ${VERSION}\n`);
  });
});
