import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import type { Running } from "../helpers.js";
import {
  FIXTURES,
  records,
  taskq,
  taskqDone,
  testEnv,
  waitUntil,
  writeWhichModule,
} from "../helpers.js";

const running: Running[] = [];
const files: string[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill("SIGKILL");
      await run.exited;
    }
  }
  for (const f of files.splice(0)) rmSync(f, { force: true, recursive: true });
});

function start(args: string[], env: ReturnType<typeof testEnv>, cwd?: string): Running {
  const run = taskq(args, env, cwd);
  running.push(run);
  files.push(env.TASKQ_TEST_OUT);
  return run;
}

describe("taskq worker command", () => {
  test("prints its help and version", async () => {
    const env = testEnv();
    const help = await taskqDone(["--help"], env);
    expect(help.code).toBe(0);
    expect(help.output).toContain("Usage: taskq <module...> [options]");
    const version = await taskqDone(["--version"], env);
    expect(version.output).toMatch(/^taskq \d+\.\d+\.\d+/);
  });

  test("--help lists every environment variable taskq reads under the CLI", async () => {
    const { stdout } = await taskqDone(["--help"], testEnv());
    const read = new Set<string>();
    for (const dir of ["../../src", "../../../core/src", "../../../prometheus/src"]) {
      const root = fileURLToPath(new URL(dir, import.meta.url));
      for (const file of readdirSync(root, { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".ts")) continue;
        const text = readFileSync(join(root, file), "utf8");
        for (const m of text.matchAll(/process\.env\.(TASKQ_[A-Z_]+)/g)) read.add(m[1]!);
      }
    }
    // Set by the CLI itself: for its worker processes, and the process label it passes on.
    for (const internal of ["TASKQ_CLI_ROLE", "TASKQ_PROCESS_NAME"]) read.delete(internal);
    expect([...read].sort()).toEqual(["TASKQ_LOG_LEVEL", "TASKQ_PROM_HOST", "TASKQ_PROM_PORT"]);
    const environment = stdout.slice(stdout.indexOf("Environment:"));
    for (const name of read) expect(environment).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  test("TASKQ_LOG_LEVEL sets the level under the CLI too", async () => {
    const env = testEnv();
    const worker = start(["app.mjs", "-p", "1", "--pid-file", "/nonexistent/dir/taskq.pid"], env);
    expect(await worker.exited).toBe(4);
    expect(worker.output()).toContain("is booting up");
    const quiet = taskq(
      ["app.mjs", "-p", "1", "--pid-file", "/nonexistent/dir/taskq.pid"],
      env,
      undefined,
      {
        TASKQ_LOG_LEVEL: "warn",
      },
    );
    running.push(quiet);
    expect(await quiet.exited).toBe(4);
    expect(quiet.output()).not.toContain("is booting up");
    expect(quiet.output()).toContain("Could not write pid file");
  });

  test("a module's own logger (setLogger) takes the worker processes' lines; the main process's stay text", async () => {
    const env = testEnv();
    const worker = start(["logger.mjs", "-p", "1"], env);
    await worker.waitFor(/"msg":"Worker process is ready for action\."/);
    const lines = worker.output().split("\n");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\{"level":"info","name":"taskq\.WorkerProcess\(0\)",.*"msg":"Worker process is ready for action\."\}$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /\[MainProcess\] \[taskq\.MainProcess\] \[INFO\] taskq .* is booting up\./,
      ),
    );
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });

  test("worker processes run messages another process sends", async () => {
    const env = testEnv();
    const worker = start(["app.mjs", "--processes", "2", "--concurrency", "2"], env);
    await worker.waitFor(/Worker process is ready for action/, 2);
    expect(worker.output()).toMatch(
      /\[MainProcess\] \[taskq\.MainProcess\] \[INFO\] taskq .* is booting up\./,
    );
    const sent = await taskqDone(["send", "app.mjs", "echo", "--args", '["hello"]'], env);
    expect(sent.code).toBe(0);
    expect(sent.output).toMatch(/Sent echo\("hello"\) as message .* on default\./);
    await waitUntil(() => records(env).some((r) => r.actor === "echo" && r.value === "hello"), {
      what: "echo ran",
    });
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });

  test("--verbose logs each message received and completed", async () => {
    const env = testEnv();
    const worker = start(["app.mjs", "-p", "1", "--verbose"], env);
    await worker.waitFor(/ready for action/);
    await taskqDone(["send", "app.mjs", "echo", "--args", "[7]"], env);
    await worker.waitFor(/\[taskq\.actors\.echo\] \[DEBUG\] Received args=\[7\] kwargs=\{\}\./);
    await worker.waitFor(/\[taskq\.actors\.echo\] \[DEBUG\] Completed after \d+\.\d\d ms\./);
  });

  test("SIGTERM lets a running actor finish and exits 0; a second SIGTERM forces exit 1", async () => {
    const env = testEnv();
    const graceful = start(["app.mjs", "-p", "1"], env);
    await graceful.waitFor(/ready for action/);
    await taskqDone(["send", "app.mjs", "slow", "--args", "[1500]"], env);
    await waitUntil(() => records(env).some((r) => r.phase === "start"), { what: "slow started" });
    graceful.child.kill("SIGTERM");
    expect(await graceful.exited).toBe(0);
    expect(
      records(env)
        .filter((r) => r.actor === "slow")
        .map((r) => r.phase),
    ).toEqual(["start", "end"]);

    const env2 = testEnv();
    const forced = start(["app.mjs", "-p", "1"], env2);
    await forced.waitFor(/ready for action/);
    await taskqDone(["send", "app.mjs", "slow", "--args", "[30000]"], env2);
    await waitUntil(() => records(env2).some((r) => r.phase === "start"), { what: "slow started" });
    forced.child.kill("SIGTERM");
    await forced.waitFor(/Sending SIGTERM to worker processes/);
    forced.child.kill("SIGTERM");
    expect(await forced.exited).toBe(1);
    expect(records(env2).some((r) => r.phase === "end")).toBe(false);
  });

  test("SIGHUP reloads changed code: the new return value is observed", async () => {
    const env = testEnv();
    const module = join(FIXTURES, `reload-${randomUUID()}.mjs`);
    files.push(module);
    const write = (version: string) => writeWhichModule(module, version);
    write("v1");
    const worker = start([module, "-p", "1"], env);
    await worker.waitFor(/ready for action/);
    await taskqDone(["send", module, "which"], env);
    await waitUntil(() => records(env).some((r) => r.version === "v1"), { what: "v1 ran" });
    write("v2");
    worker.child.kill("SIGHUP");
    await worker.waitFor(/SIGHUP received: restarting the worker processes/);
    await worker.waitFor(/ready for action/, 2);
    await taskqDone(["send", module, "which"], env);
    await waitUntil(() => records(env).some((r) => r.version === "v2"), { what: "v2 ran" });
  });

  test("--watch restarts the workers when a source file changes", async () => {
    const env = testEnv();
    const dir = join(FIXTURES, `watch-${randomUUID()}`);
    mkdirSync(dir);
    files.push(dir);
    const module = join(dir, "app.mjs");
    const write = (version: string) => writeWhichModule(module, version);
    write("w1");
    const worker = start([module, "-p", "1", "--watch", dir], env);
    await worker.waitFor(/ready for action/);
    write("w2");
    await worker.waitFor(/app\.mjs changed: restarting the worker processes/);
    await worker.waitFor(/ready for action/, 2);
    await taskqDone(["send", module, "which"], env);
    await waitUntil(() => records(env).some((r) => r.version === "w2"), { what: "w2 ran" });
  });

  test("a worker process that crashes is replaced, and its message is processed after all", async () => {
    const env = testEnv();
    const marker = join(tmpdir(), `taskq-crash-${randomUUID()}`);
    files.push(marker);
    const worker = start(["app.mjs", "-p", "1"], env);
    await worker.waitFor(/ready for action/);
    await taskqDone(["send", "app.mjs", "crashOnce", "--args", JSON.stringify([marker])], env);
    await worker.waitFor(/Worker process 0 \(PID \d+\) died with code 7; starting a replacement/);
    await worker.waitFor(/ready for action/, 2);
    await waitUntil(() => records(env).some((r) => r.actor === "crashOnce"), {
      timeout: 20_000,
      what: "the message ran after all",
    });
  });

  test("--log-file takes the log lines; --path finds modules in another directory", async () => {
    const env = testEnv();
    const logFile = join(tmpdir(), `taskq-log-${randomUUID()}.log`);
    files.push(logFile);
    // Started elsewhere: app.mjs is found through --path.
    const worker = start(
      ["app.mjs", "-p", "1", "--path", FIXTURES, "--log-file", logFile],
      env,
      tmpdir(),
    );
    await waitUntil(
      () => existsSync(logFile) && readFileSync(logFile, "utf8").includes("ready for action"),
      {
        what: "the log file",
      },
    );
    expect(worker.output()).not.toContain("ready for action");
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(readFileSync(logFile, "utf8")).toMatch(
      /\[MainProcess\] \[taskq\.MainProcess\] \[INFO\] taskq .* is booting up\./,
    );
  });

  test("--queues limits what is consumed", async () => {
    const env = testEnv();
    const worker = start(["app.mjs", "-p", "1", "--queues", "other"], env);
    await worker.waitFor(/ready for action/);
    await taskqDone(["send", "app.mjs", "echo", "--args", '["skipped"]'], env);
    await taskqDone(["send", "app.mjs", "other", "--args", '["taken"]'], env);
    await waitUntil(() => records(env).some((r) => r.actor === "other"), { what: "other ran" });
    await new Promise((r) => setTimeout(r, 300));
    expect(records(env).some((r) => r.actor === "echo")).toBe(false);
    const queues = await taskqDone(["queues", "app.mjs"], env);
    expect(queues.output).toMatch(/default\s+1\s+0\s+0\s+0/);
  });
});

describe("taskq exit codes", () => {
  test("a module that fails to import exits 2 with the import error", async () => {
    const { code, output } = await taskqDone(["bad-import.mjs", "-p", "1"], testEnv());
    expect(code).toBe(2);
    expect(output).toContain("Could not import module bad-import.mjs");
    expect(output).toContain("boom while importing the application");
  });

  test("a module that cannot be found exits 2 saying where it looked", async () => {
    const { code, output } = await taskqDone(["missing.mjs", "-p", "1"], testEnv());
    expect(code).toBe(2);
    expect(output).toMatch(/Module missing\.mjs not found/);
  });

  test("a pid file naming a live process exits 4", async () => {
    const env = testEnv();
    const pidFile = join(tmpdir(), `taskq-${randomUUID()}.pid`);
    files.push(pidFile);
    writeFileSync(pidFile, String(process.pid));
    const { code, output } = await taskqDone(["app.mjs", "-p", "1", "--pid-file", pidFile], env);
    expect(code).toBe(4);
    expect(output).toContain(`names process ${process.pid}, which is running`);
  });

  test("bad options exit 2 with the usage", async () => {
    const { code, output } = await taskqDone(["app.mjs", "--processes", "zero"], testEnv());
    expect(code).toBe(2);
    expect(output).toContain("--processes must be a whole number");
  });
});

describe("taskq admin commands", () => {
  test("queues prints counts; dead-letters lists, requeues and purges", async () => {
    const env = testEnv();
    files.push(env.TASKQ_TEST_OUT);
    for (const v of [1, 2]) await taskqDone(["send", "app.mjs", "echo", "--args", `[${v}]`], env);
    await taskqDone(["send", "app.mjs", "fail"], env);
    let queues = await taskqDone(["queues", "app.mjs"], env);
    expect(queues.code).toBe(0);
    expect(queues.output).toMatch(/queue\s+ready\s+delayed\s+dead\s+in progress/);
    expect(queues.output).toMatch(/default\s+3\s+0\s+0\s+0/);

    // A worker runs them: two succeed, `fail` dies.
    const worker = start(["app.mjs", "-p", "1"], env);
    await worker.waitFor(/ready for action/);
    await waitUntil(
      async () =>
        /default\s+0\s+0\s+1\s+0/.test((await taskqDone(["queues", "app.mjs"], env)).output),
      {
        what: "one dead letter",
      },
    );
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);

    const listed = await taskqDone(["dead-letters", "app.mjs", "default"], env);
    expect(listed.output).toMatch(/fail\(\)/);
    expect(listed.output).toContain("1 dead letter(s) of default.");
    const requeued = await taskqDone(["dead-letters", "app.mjs", "default", "--requeue"], env);
    expect(requeued.output).toContain("Requeued 1 dead letter(s) of default.");
    queues = await taskqDone(["queues", "app.mjs"], env);
    expect(queues.output).toMatch(/default\s+1\s+0\s+0\s+0/);
    const purged = await taskqDone(["dead-letters", "app.mjs", "default", "--purge"], env);
    expect(purged.output).toContain("Purged 0 dead letter(s) of default.");
  });

  test("send refuses fewer arguments than the actor's function requires, and sends nothing", async () => {
    const env = testEnv();
    const none = await taskqDone(["send", "app.mjs", "echo"], env);
    expect(none.code).toBe(2);
    expect(none.output).toContain(
      "Actor echo takes at least 1 argument(s) — its function declares 1 parameter(s) before any with a default value — but none were given (--args).",
    );
    // (value, times = 2): one is enough, and two are fine.
    const one = await taskqDone(["send", "app.mjs", "twice", "--args", '["a"]'], env);
    expect(one.code).toBe(0);
    const two = await taskqDone(["send", "app.mjs", "twice", "--args", '["a", 3]'], env);
    expect(two.code).toBe(0);
    const queues = await taskqDone(["queues", "app.mjs"], env);
    expect(queues.output).toMatch(/default\s+2\s+0\s+0\s+0/);
    const notArray = await taskqDone(["send", "app.mjs", "echo", "--args", '{"a":1}'], env);
    expect(notArray.code).toBe(2);
    expect(notArray.output).toContain("--args must be a JSON array of arguments");
  });

  test("send names the actors a module declares when the actor is unknown", async () => {
    const { code, output } = await taskqDone(["send", "app.mjs", "nope"], testEnv());
    expect(code).toBe(2);
    expect(output).toMatch(
      /No actor nope in app\.mjs; it declares: crashOnce, echo, fail, leak, other, slow, twice/,
    );
  });
});
