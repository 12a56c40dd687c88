import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitUntil } from "@taskq/core/testing";
import { inject } from "vitest";

export const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

export interface Env {
  TASKQ_TEST_REDIS: string;
  TASKQ_TEST_NS: string;
  TASKQ_TEST_OUT: string;
}

/** A namespace and an output file of their own for one test. */
export function testEnv(): Env {
  return {
    TASKQ_TEST_REDIS: inject("redisUrl"),
    TASKQ_TEST_NS: `cli-${randomUUID()}`,
    TASKQ_TEST_OUT: join(tmpdir(), `taskq-cli-${randomUUID()}.jsonl`),
  };
}

/** What the actors recorded so far. */
export function records(env: Env): Record<string, unknown>[] {
  if (!existsSync(env.TASKQ_TEST_OUT)) return [];
  return readFileSync(env.TASKQ_TEST_OUT, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Wait until the combined output matches `pattern` `times` times. */
  waitFor(pattern: RegExp, times?: number, timeout?: number): Promise<void>;
}

/** Run the real `taskq` command (from the fixtures directory, unless `cwd` says otherwise). */
export function taskq(args: string[], env: Env, cwd = FIXTURES): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, ...env, TASKQ_LOG_LEVEL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor: (pattern, times = 1, timeout = 20_000) =>
      waitUntil(() => (output.match(new RegExp(pattern.source, "g")) ?? []).length >= times, {
        timeout,
        what: `${times}× ${pattern} in:\n${output}`,
      }),
  };
}

/** Run a short `taskq` command to its end. */
export async function taskqDone(
  args: string[],
  env: Env,
): Promise<{ code: number | null; output: string }> {
  const run = taskq(args, env);
  const code = await run.exited;
  return { code, output: run.output() };
}

/**
 * A module declaring the actor `which`, which records `{ version }`: rewritten with another
 * version, it shows whether workers run fresh code after a reload.
 */
export function writeWhichModule(path: string, version: string): void {
  writeFileSync(
    path,
    `import { appendFileSync } from "node:fs";
import { RedisBroker } from "@taskq/broker-redis";
import { actor, setBroker } from "@taskq/core";
setBroker(new RedisBroker({ url: process.env.TASKQ_TEST_REDIS, namespace: process.env.TASKQ_TEST_NS }));
actor(() => appendFileSync(process.env.TASKQ_TEST_OUT, JSON.stringify({ version: ${JSON.stringify(version)} }) + "\\n"), { actorName: "which" });
`,
  );
}

export { waitUntil };
