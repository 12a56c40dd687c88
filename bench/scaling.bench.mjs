// What a second worker process buys: the `taskq` CLI with 1 and with 2 worker processes on
// one private Redis, pre-enqueued messages, for a no-op actor and a 5 ms I/O-bound actor
// (concurrency 50 and 200). Rate from the first message taken to the last one acked (the
// queue's hash empty), read by polling Redis every 10 ms. Where the ceiling is: Redis's CPU
// (INFO cpu), the worker processes' CPU (/proc), and messages per Lua call (INFO
// commandstats). Configurations interleaved run by run; median of the runs.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RedisBroker } from "@taskq/broker-redis";
import { actor, setLogger } from "@taskq/core";
import { startRedis } from "@taskq/test-servers";
import { Redis } from "ioredis";
import { formatRate, median, table, writeSummary } from "./lib.mjs";

setLogger({ debug() {}, info() {}, warn: console.warn, error: console.error });

const NOOP_MESSAGES = Number(process.env.BENCH_SCALING_NOOP ?? 200_000);
const IO_MESSAGES = Number(process.env.BENCH_SCALING_IO ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CLI = fileURLToPath(new URL("../packages/cli/bin/taskq.js", import.meta.url));
const TASKS = fileURLToPath(new URL("./scaling/tasks.mjs", import.meta.url));
const TICKS = 100; // clock ticks per second, for /proc/<pid>/stat

const CONFIGS = [
  {
    actor: "noop",
    queue: "noop",
    concurrency: 50,
    n: NOOP_MESSAGES,
    label: "no-op, concurrency 50",
  },
  {
    actor: "io5",
    queue: "io5",
    concurrency: 50,
    n: IO_MESSAGES,
    label: "5 ms I/O, concurrency 50",
  },
  {
    actor: "io5",
    queue: "io5",
    concurrency: 200,
    n: IO_MESSAGES,
    label: "5 ms I/O, concurrency 200",
  },
];

/** CPU time (user + system) of a process and all its descendants, seconds. */
function treeCpu(root) {
  const children = new Map();
  const cpu = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / TICKS);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop();
    total += cpu.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

async function redisStats(client) {
  const info = `${await client.info("cpu")}${await client.info("commandstats")}`;
  const read = (re) => Number(re.exec(info)?.[1] ?? 0);
  return {
    cpu: read(/used_cpu_user:([0-9.]+)/) + read(/used_cpu_sys:([0-9.]+)/),
    evalsha: read(/cmdstat_evalsha:calls=(\d+)/),
  };
}

async function run(url, config, processes) {
  const namespace = `bench-scaling-${randomUUID()}`;
  const broker = new RedisBroker({ url, namespace });
  const a = actor(() => undefined, { broker, actorName: config.actor, queueName: config.queue });
  // Paused until every worker process is up, so boot time is not counted.
  await broker.pauseQueue(config.queue);
  for (let i = 0; i < config.n; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(config.n, i + 1000); j++) batch.push(a.message(j));
    await broker.enqueueMany(batch);
  }
  const admin = new Redis(url);
  const queueKey = broker.keys.queue(config.queue);
  const messagesKey = broker.keys.messages(config.queue);
  const cli = spawn(
    process.execPath,
    [CLI, TASKS, "-p", String(processes), "-c", String(config.concurrency), "-Q", config.queue],
    {
      env: { ...process.env, BENCH_REDIS_URL: url, BENCH_NS: namespace, TASKQ_LOG_LEVEL: "warn" },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const exited = new Promise((r) => cli.once("exit", r));
  try {
    while ((await admin.zcard(broker.keys.heartbeats)) < processes) await sleep(20);
    await sleep(300);
    await broker.resumeQueue(config.queue);
    // Start the clocks at the first message taken.
    while ((await admin.llen(queueKey)) === config.n) await sleep(5);
    const started = performance.now();
    const before = { redis: await redisStats(admin), workers: treeCpu(cli.pid) };
    while ((await admin.hlen(messagesKey)) > 0) await sleep(10);
    const seconds = (performance.now() - started) / 1000;
    const after = { redis: await redisStats(admin), workers: treeCpu(cli.pid) };
    return {
      rate: config.n / seconds,
      // Share of one core, over the run.
      redisCpu: (after.redis.cpu - before.redis.cpu) / seconds,
      workerCpu: (after.workers - before.workers) / seconds,
      perCall: config.n / Math.max(1, after.redis.evalsha - before.redis.evalsha),
    };
  } finally {
    cli.kill("SIGTERM");
    await exited;
    await admin.flushall();
    admin.disconnect();
    await broker.close();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const server = await startRedis();
console.log(
  `Redis ${server.url}; taskq CLI, 1 vs 2 worker processes, ${NOOP_MESSAGES.toLocaleString("en-US")} no-op / ${IO_MESSAGES.toLocaleString("en-US")} 5 ms messages pre-enqueued, median of ${RUNS} runs, Node ${process.version}\n`,
);
try {
  const results = CONFIGS.map(() => ({ 1: [], 2: [] }));
  for (let r = 0; r < RUNS; r++) {
    for (const [i, config] of CONFIGS.entries()) {
      for (const processes of [1, 2])
        results[i][processes].push(await run(server.url, config, processes));
    }
  }
  const pick = (runs) => {
    const m = median(runs.map((x) => x.rate));
    return runs.find((x) => x.rate === m);
  };
  const pct = (v) => `${Math.round(v * 100)}%`;
  const rows = [
    ["actor", "processes", "rate", "2 / 1", "worker CPU", "Redis CPU", "messages / Lua call"],
  ];
  const summary = [];
  for (const [i, config] of CONFIGS.entries()) {
    const one = pick(results[i][1]);
    const two = pick(results[i][2]);
    for (const [p, x] of [
      [1, one],
      [2, two],
    ]) {
      rows.push([
        config.label,
        p,
        formatRate(x.rate),
        p === 2 ? `${(two.rate / one.rate).toFixed(2)}×` : "",
        pct(x.workerCpu),
        pct(x.redisCpu),
        x.perCall.toFixed(1),
      ]);
    }
    summary.push({
      scenario: `Scaling, taskq CLI 2 vs 1 worker processes, ${config.label}`,
      taskq: formatRate(two.rate),
      peer: `1 process ${formatRate(one.rate)}`,
      ratio: `${(two.rate / one.rate).toFixed(2)}×`,
      ...(config.actor === "noop" ? { target: "≥ 1.7×", met: two.rate / one.rate >= 1.7 } : {}),
    });
  }
  console.log(table(rows));
  console.log(
    "\nCPU columns: share of one core over the run (the machine has 2); worker CPU sums the CLI's main and worker processes.",
  );
  writeSummary("scaling", summary);
} finally {
  await server.stop();
}
