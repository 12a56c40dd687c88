import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RedisBroker } from "@taskq/broker-redis";
import { Message } from "@taskq/core";
import { captureLogs, waitUntil } from "@taskq/core/testing";
import { freePort } from "@taskq/test-servers";
import { afterEach, expect, inject, test } from "vitest";
import { parsePrometheusText, type Sample, value } from "../prom-text.js";

const CLI = join(
  dirname(createRequire(import.meta.url).resolve("@taskq/cli/package.json")),
  "dist",
  "cli.js",
);
const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

test("under the CLI with 2 worker processes, one scrape of /metrics sums the whole fleet, exactly", async () => {
  captureLogs();
  const port = await freePort();
  const env = {
    TASKQ_TEST_REDIS: inject("redisUrl"),
    TASKQ_TEST_NS: `prom-${randomUUID()}`,
    TASKQ_TEST_OUT: join(tmpdir(), `taskq-prom-${randomUUID()}`),
    TASKQ_PROM_HOST: "127.0.0.1",
    TASKQ_PROM_PORT: String(port),
  };
  cleanups.push(() => rmSync(env.TASKQ_TEST_OUT, { force: true }));
  const cli = spawn(process.execPath, [CLI, "app.mjs", "--processes", "2", "--concurrency", "4"], {
    cwd: FIXTURES,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  cli.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => cli.once("exit", resolve));
  cleanups.push(async () => {
    if (cli.exitCode === null) {
      cli.kill("SIGKILL");
      await exited;
    }
  });
  await waitUntil(() => (output.match(/ready for action/g) ?? []).length === 2, {
    what: `two workers ready in:\n${output}`,
  });
  await waitUntil(() => output.includes("Serving the metrics of every worker process"), {
    what: "the metrics server",
  });

  // A producer in this process sends 20 that succeed and 4 that fail for good.
  const producer = new RedisBroker({ url: env.TASKQ_TEST_REDIS, namespace: env.TASKQ_TEST_NS });
  cleanups.push(() => producer.close());
  producer.declareQueue("default");
  const message = (actorName: string) => new Message({ queueName: "default", actorName, args: [] });
  await producer.enqueueMany([
    ...Array.from({ length: 20 }, () => message("echo")),
    ...Array.from({ length: 4 }, () => message("fail")),
  ]);

  const scrape = async (): Promise<Sample[]> =>
    parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const q = { queue_name: "default" };
  await waitUntil(
    async () =>
      value(await scrape(), "taskq_message_rejects_total", { ...q, actor_name: "fail" }) === 4,
    {
      what: "four rejects",
    },
  );
  await waitUntil(
    async () => value(await scrape(), "taskq_messages_total", { ...q, actor_name: "echo" }) === 20,
    {
      what: "twenty processed",
    },
  );
  const samples = await scrape();
  expect(value(samples, "taskq_messages_total", { ...q, actor_name: "echo" })).toBe(20);
  expect(value(samples, "taskq_messages_total", { ...q, actor_name: "fail" })).toBe(12);
  expect(value(samples, "taskq_message_errors_total", { ...q, actor_name: "echo" })).toBe(0);
  expect(value(samples, "taskq_message_errors_total", { ...q, actor_name: "fail" })).toBe(12);
  expect(value(samples, "taskq_message_retries_total", { ...q, actor_name: "fail" })).toBe(8);
  expect(value(samples, "taskq_message_rejects_total", { ...q, actor_name: "fail" })).toBe(4);
  expect(value(samples, "taskq_message_rejects_total", { ...q, actor_name: "echo" })).toBe(0);
  expect(value(samples, "taskq_messages_inprogress", { ...q, actor_name: "echo" })).toBe(0);
  expect(
    value(samples, "taskq_message_duration_milliseconds_count", { ...q, actor_name: "echo" }),
  ).toBe(20);
  expect(
    value(samples, "taskq_message_duration_milliseconds_bucket", {
      ...q,
      actor_name: "echo",
      le: "+Inf",
    }),
  ).toBe(20);
  expect(
    value(samples, "taskq_message_queue_time_milliseconds_count", { ...q, actor_name: "fail" }),
  ).toBe(12);

  // Both processes did part of the work, so the figures above are sums over the fleet.
  const pids = new Set(
    existsSync(env.TASKQ_TEST_OUT)
      ? readFileSync(env.TASKQ_TEST_OUT, "utf8").split("\n").filter(Boolean)
      : [],
  );
  expect(pids.size).toBe(2);

  cli.kill("SIGTERM");
  expect(await exited).toBe(0);
});
