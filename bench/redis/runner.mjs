// Runs one system's worker in a process of its own (redis/worker-child.mjs) and measures
// processing throughput: shared by redis.bench.mjs and middleware.bench.mjs.
import { fork } from "node:child_process";
import { Redis } from "ioredis";
import { flushAll, systems } from "./systems.mjs";

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

/** A worker process for `system` in `mode` (throughput, latency, memory). */
export function child(system, url, mode, count) {
  const proc = fork(
    new URL("./worker-child.mjs", import.meta.url),
    [system, url, mode, String(count), String(CONCURRENCY)],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: (process.env.BENCH_WORKER_FLAGS ?? "").split(" ").filter(Boolean),
    },
  );
  const waiters = [];
  proc.on("message", (m) => {
    const i = waiters.findIndex((w) => w.match(m));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
  });
  const next = (match) => new Promise((resolve) => waiters.push({ match, resolve }));
  return {
    ready: next((m) => m.ready),
    done: next((m) => m.done),
    report: () => {
      const p = next((m) => m.latencies);
      proc.send("report");
      return p;
    },
    stop: () => {
      proc.send("stop");
      return new Promise((r) => proc.once("exit", r));
    },
  };
}

/** Redis's CPU time so far (user + system), µs. */
async function redisCpu(url) {
  const client = new Redis(url);
  const info = await client.info("cpu");
  client.disconnect();
  const read = (k) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)[1]);
  return (read("used_cpu_user") + read("used_cpu_sys")) * 1e6;
}

/**
 * `n` messages enqueued in batches, then consumed by one worker process: the enqueue rate,
 * the processing rate (first job started to the last finished), and the worker's and
 * Redis's CPU µs per message.
 */
export async function throughput(system, url, n) {
  await flushAll(url);
  const enqueueMs = await systems[system].enqueue(url, n);
  const worker = child(system, url, "throughput", n);
  await worker.ready;
  const before = await redisCpu(url);
  const result = await worker.done;
  const redisPerJob = ((await redisCpu(url)) - before) / n;
  await worker.stop();
  return {
    enqueueRate: n / (enqueueMs / 1000),
    rate: result.rate,
    workerCpu: result.cpuPerJob,
    redisCpu: redisPerJob,
  };
}
