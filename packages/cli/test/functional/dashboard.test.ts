import { rmSync } from "node:fs";
import { afterEach, describe, expect, test } from "vitest";
import type { Running } from "../helpers.js";
import { taskq, taskqDone, testEnv } from "../helpers.js";

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

describe("taskq dashboard", () => {
  test("serves the module's queues and scheduler on 127.0.0.1 and exits 0 on SIGTERM", async () => {
    const env = testEnv();
    files.push(env.TASKQ_TEST_OUT);
    const run = taskq(["dashboard", "schedules.mjs", "--port", "0"], env);
    running.push(run);
    await run.waitFor(/The dashboard is on http:\/\/127\.0\.0\.1:\d+\//);
    const base = /The dashboard is on (http:\/\/127\.0\.0\.1:\d+)\//.exec(run.output())![1]!;
    const queues = await fetch(`${base}/api/queues`);
    expect(queues.status).toBe(200);
    expect(await queues.json()).toEqual([
      { name: "default", ready: 0, delayed: 0, dead: 0, inProgress: 0, paused: false },
    ]);
    const schedules = (await (await fetch(`${base}/api/schedules`)).json()) as { name: string }[];
    expect(schedules.map((s) => s.name).sort()).toEqual(["beat", "nightly"]);
    const page = await fetch(`${base}/queues/default`);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    // An open event stream must not keep the process from stopping.
    const events = await fetch(`${base}/api/events`);
    expect(events.status).toBe(200);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  });

  test("finds the module's MessageState and Cancel: a sent message is canceled through the API", async () => {
    const env = testEnv();
    files.push(env.TASKQ_TEST_OUT);
    const sent = await taskqDone(["send", "lifecycle.mjs", "quick", "--args", "[1]"], env);
    const id = /as message ([0-9a-f-]{36})/.exec(sent.output)![1]!;
    const run = taskq(["dashboard", "lifecycle.mjs", "--port", "0"], env);
    running.push(run);
    await run.waitFor(/The dashboard is on http:\/\/127\.0\.0\.1:\d+\//);
    const base = /The dashboard is on (http:\/\/127\.0\.0\.1:\d+)\//.exec(run.output())![1]!;
    const res = await fetch(`${base}/api/messages/${id}/cancel`, {
      method: "POST",
      headers: { "x-taskq-dashboard": "1" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ messageId: id, outcome: "canceled", status: "pending" });
    const state = (await (await fetch(`${base}/api/messages/${id}`)).json()) as { status: string };
    expect(state.status).toBe("canceled");
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  });

  test("taskq --help lists the dashboard command", async () => {
    const help = await taskqDone(["--help"], testEnv());
    expect(help.output).toContain("taskq dashboard <module> [--port 9181] [--host 127.0.0.1]");
  });

  test("a bad --port is a usage error (exit 2) naming it", async () => {
    const env = testEnv();
    const run = taskq(["dashboard", "schedules.mjs", "--port", "http"], env);
    running.push(run);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain("--port must be a port number");
  });
});
