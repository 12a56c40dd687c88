import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
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

// ts-app/tasks.ts imports ./broker.ts and ./actors/greet.ts; it loads through the tsx the
// application has installed: here the one a user gets from npm today.
const MODULE = "ts-app/tasks.ts";

describe("TypeScript actor modules (through tsx's ESM API)", () => {
  test("the tsx under test is the current major line", () => {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(require.resolve("tsx/package.json"), "utf8")) as {
      version: string;
    };
    expect(pkg.version).toMatch(/^4\.(2[3-9]|[3-9]\d)\./);
  });

  test("queues and send load a .ts module that imports other .ts files", async () => {
    const env = testEnv();
    const queues = await taskqDone(["queues", MODULE], env);
    expect(queues.output).toMatch(/default\s+0\s+0\s+0\s+0/);
    expect(queues.code).toBe(0);
    const sent = await taskqDone(["send", MODULE, "greet", "--args", '["ts"]'], env);
    expect(sent.output).toMatch(/Sent greet\("ts"\) as message .* on default\./);
    expect(sent.code).toBe(0);
  });

  test("worker processes load it too and run its actor", async () => {
    const env = testEnv();
    const worker = taskq([MODULE, "-p", "2"], env);
    running.push(worker);
    await worker.waitFor(/Worker process is ready for action/, 2);
    await taskqDone(["send", MODULE, "greet", "--args", '["worker"]'], env);
    await waitUntil(() => records(env).some((r) => r.text === "hello worker"), {
      what: "greet ran in a worker process",
    });
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });

  test("isolated actors of a .ts module run in pool threads, which load it through tsx too", async () => {
    const env = testEnv();
    const module = "ts-app/isolated.ts";
    const worker = taskq([module, "-p", "1", "--isolation-threads", "1"], env);
    running.push(worker);
    await worker.waitFor(/Started 1 isolation thread\(s\) for 1 actor\(s\)/);
    await worker.waitFor(/Worker process is ready for action/);
    await taskqDone(["send", module, "tsWhere", "--args", '["in a thread"]'], env);
    await waitUntil(() => records(env).some((r) => r.tag === "in a thread"), {
      what: "tsWhere ran in a pool thread",
    });
    const seen = records(env).find((r) => r.tag === "in a thread");
    expect(seen?.threadId).toBeGreaterThan(0);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });
});
