import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { type AddressInfo, createServer } from "node:net";
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

const q = { queue_name: "default" };

interface Fleet {
  env: Record<string, string>;
  port: number;
  cli: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  /** Enqueue this many messages per actor, from this process. */
  send(counts: Record<string, number>): Promise<void>;
}

/** `taskq app.mjs` with 2 worker processes and the fleet's /metrics on a free port. */
async function startFleet(): Promise<Fleet> {
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
  const producer = new RedisBroker({ url: env.TASKQ_TEST_REDIS, namespace: env.TASKQ_TEST_NS });
  cleanups.push(() => producer.close());
  producer.declareQueue("default");
  return {
    env,
    port,
    cli,
    exited,
    output: () => output,
    send: async (counts) => {
      await producer.enqueueMany(
        Object.entries(counts).flatMap(([actorName, n]) =>
          Array.from(
            { length: n },
            () => new Message({ queueName: "default", actorName, args: [] }),
          ),
        ),
      );
    },
  };
}

async function scrapeAt(port: number): Promise<Sample[]> {
  return parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
}

/** The pids of the processes that ran echo so far (the fixture notes them). */
function echoPids(env: Record<string, string>): string[] {
  return existsSync(env.TASKQ_TEST_OUT!)
    ? readFileSync(env.TASKQ_TEST_OUT!, "utf8").split("\n").filter(Boolean)
    : [];
}

/** Counter and histogram samples (what must never go down), by name and labels. */
function monotonic(samples: Sample[]): Map<string, number> {
  const types = new Map<string, number>();
  for (const s of samples) {
    if (/_total$|_bucket$|_count$|_sum$/.test(s.name)) {
      types.set(`${s.name}${JSON.stringify(s.labels)}`, s.value);
    }
  }
  return types;
}

test("under the CLI with 2 worker processes, one scrape of /metrics sums the whole fleet, exactly", async () => {
  const fleet = await startFleet();
  const { env, port, cli, exited } = fleet;
  // A producer in this process sends 20 that succeed and 4 that fail for good.
  await fleet.send({ echo: 20, fail: 4 });
  const scrape = () => scrapeAt(port);
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
  expect(new Set(echoPids(env)).size).toBe(2);

  cli.kill("SIGTERM");
  expect(await exited).toBe(0);
});

test("counters never go down when a worker process is killed (-9) and replaced, or the fleet reloads (SIGHUP)", async () => {
  const fleet = await startFleet();
  const { env, port, cli } = fleet;
  const echo = { ...q, actor_name: "echo" };
  const scrapedEcho = async () => value(await scrapeAt(port), "taskq_messages_total", echo);

  await fleet.send({ echo: 20, fail: 4 });
  await waitUntil(async () => (await scrapedEcho()) === 20, { what: "twenty processed" });
  await waitUntil(
    async () =>
      value(await scrapeAt(port), "taskq_message_rejects_total", { ...q, actor_name: "fail" }) ===
      4,
    { what: "four rejects" },
  );
  const pids = [...new Set(echoPids(env))];
  expect(pids.length).toBe(2);
  const before = monotonic(await scrapeAt(port));

  // kill -9: the process cannot say goodbye; its last answer (this scrape's) stays counted.
  process.kill(Number(pids[0]), "SIGKILL");
  await waitUntil(() => /died with signal SIGKILL; starting a replacement/.test(fleet.output()), {
    what: "the worker replaced",
  });
  await waitUntil(() => (fleet.output().match(/ready for action/g) ?? []).length === 3, {
    what: "the replacement ready",
  });
  const afterKill = monotonic(await scrapeAt(port));
  for (const [series, v] of before) expect([series, afterKill.get(series)]).toEqual([series, v]);
  expect(
    value(await scrapeAt(port), "taskq_messages_inprogress", echo),
    "the dead process's gauges are dropped",
  ).toBe(0);

  // More work, then a reload straight after it, with no scrape in between (and most likely
  // no refresh, 5 s apart): the stopping workers' last answers must carry it.
  const ran = echoPids(env).length;
  await fleet.send({ echo: 10 });
  await waitUntil(() => echoPids(env).length === ran + 10, { what: "ten more processed" });
  cli.kill("SIGHUP");
  await waitUntil(() => (fleet.output().match(/ready for action/g) ?? []).length === 5, {
    what: "two fresh workers ready",
  });
  await waitUntil(() => (fleet.output().match(/Worker process stopped\./g) ?? []).length === 2, {
    what: "both old workers stopped",
  });
  const afterReload = monotonic(await scrapeAt(port));
  for (const [series, v] of afterKill) {
    expect(afterReload.get(series), series).toBeGreaterThanOrEqual(v);
  }
  expect(await scrapedEcho()).toBe(30);

  cli.kill("SIGTERM");
  expect(await fleet.exited).toBe(0);
});

test("a metrics port already in use is one line naming the port; the workers run on", async () => {
  captureLogs();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
  const port = (taken.address() as AddressInfo).port;
  const env = {
    TASKQ_TEST_REDIS: inject("redisUrl"),
    TASKQ_TEST_NS: `prom-${randomUUID()}`,
    TASKQ_TEST_OUT: join(tmpdir(), `taskq-prom-${randomUUID()}`),
    TASKQ_PROM_HOST: "127.0.0.1",
    TASKQ_PROM_PORT: String(port),
  };
  cleanups.push(() => rmSync(env.TASKQ_TEST_OUT, { force: true }));
  const cli = spawn(process.execPath, [CLI, "app.mjs", "--processes", "1"], {
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
  await waitUntil(() => output.includes("Could not serve metrics"), {
    what: `the port line in:\n${output}`,
  });
  await waitUntil(() => output.includes("ready for action"), { what: "the worker ready" });
  const lines = output.split("\n").filter((l) => l.includes("Could not serve metrics"));
  expect(lines).toEqual([
    expect.stringMatching(
      new RegExp(
        `\\[MainProcess\\] \\[taskq\\.prometheus\\] \\[ERROR\\] Could not serve metrics at http://127\\.0\\.0\\.1:${port}/metrics: port ${port} is already in use`,
      ),
    ),
  ]);
  expect(output).not.toMatch(/\n\s+at /);
  expect(output).not.toContain("EADDRINUSE");
  cli.kill("SIGTERM");
  expect(await exited).toBe(0);
});
