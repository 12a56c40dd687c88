import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RedisBroker } from "@taskq/broker-redis";
import { type Encoder, getEncoder, type Message, setEncoder } from "@taskq/core";
import { captureLogs, waitUntil } from "@taskq/core/testing";
import { inject } from "vitest";

/** The built command (TASKQ_TEST_CLI: another build's, to compare a change with the code before). */
export const CLI =
  process.env.TASKQ_TEST_CLI ?? fileURLToPath(new URL("../dist/cli.js", import.meta.url));
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

export type { WorkerCommand } from "../src/args.js";

export interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Wait until the combined output matches `pattern` `times` times. */
  waitFor(pattern: RegExp, times?: number, timeout?: number): Promise<void>;
}

/** Run the real `taskq` command (from the fixtures directory, unless `cwd` says otherwise). */
export function taskq(
  args: string[],
  env: Env,
  cwd = FIXTURES,
  extraEnv: Record<string, string> = {},
): Running {
  return node([CLI, ...args], env, cwd, extraEnv);
}

/** Run `node` with these arguments, as `taskq` does. */
export function node(
  args: string[],
  env: Env,
  cwd = FIXTURES,
  extraEnv: Record<string, string> = {},
): Running {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env, TASKQ_LOG_LEVEL: "", ...extraEnv },
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

/** Run a short `taskq` command to its end; `stdout` is what it wrote there alone. */
export async function taskqDone(
  args: string[],
  env: Env,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; output: string; stdout: string; ms: number }> {
  const started = performance.now();
  const run = taskq(args, env, FIXTURES, extraEnv);
  let stdout = "";
  run.child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  // 'close', not 'exit': it comes once the pipes are read to their end.
  const closed = new Promise((resolve) => run.child.once("close", resolve));
  const code = await run.exited;
  await closed;
  return { code, output: run.output(), stdout, ms: performance.now() - started };
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

/**
 * Put messages straight into their queue's dead letters (enqueued, fetched and nacked, as a
 * worker does with a message that failed for good), encoded with `encoder` if given.
 */
export async function makeDeadLetters(
  env: Env,
  messages: Message[],
  encoder?: Encoder,
): Promise<void> {
  captureLogs(); // Not this test process's broker lines among the command's output.
  const broker = new RedisBroker({ url: env.TASKQ_TEST_REDIS, namespace: env.TASKQ_TEST_NS });
  const previous = getEncoder();
  if (encoder !== undefined) setEncoder(encoder);
  try {
    const queues = new Set(messages.map((m) => m.queueName));
    for (const q of queues) broker.declareQueue(q);
    await broker.enqueueMany(messages);
    for (const q of queues) {
      const consumer = broker.consume(q, { prefetch: 500, timeout: 100 });
      const expected = messages.filter((m) => m.queueName === q).length;
      let left = expected;
      while (left > 0) {
        const got = await consumer.fetch(Math.min(left, 500), { timeout: 2000 });
        // A message the decoder refuses (too deep) is dead-lettered by the broker itself.
        if (got.length === 0) break;
        for (const m of got) await consumer.nack(m);
        left -= got.length;
      }
      await consumer.close();
      const { dead } = await broker.getQueueMessageCounts(q);
      if (dead !== expected)
        throw new Error(`${expected - dead} message(s) of ${q} never came back`);
    }
  } finally {
    setEncoder(previous);
    await broker.close();
  }
}
