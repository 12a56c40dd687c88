// The cost of each optional middleware on a real broker: RedisBroker processing throughput
// (one worker process, no-op actor, concurrency 50, pre-enqueued) with none, MessageState
// (state-redis), Cancel (cancel-redis), Prometheus, and OpenTelemetry without and with an
// SDK, each alone, as a ratio to none. Every run is a fresh worker process; variants
// interleaved run by run; median of the runs. Besides the rate, the worker's and Redis's CPU
// per message, which other work on a shared machine disturbs less than the wall clock.
import { startRedis } from "@taskq/test-servers";
import { formatRate, median, table, writeSummary } from "./lib.mjs";
import { throughput } from "./redis/runner.mjs";
import { systems } from "./redis/systems.mjs";

const N = Number(process.env.BENCH_MESSAGES ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// BENCH_VARIANTS: a comma-separated subset (taskq, the baseline, always runs).
const ALL = ["taskq", "taskqState", "taskqCancel", "taskqPrometheus", "taskqOtel", "taskqOtelSdk"];
const VARIANTS = process.env.BENCH_VARIANTS
  ? ["taskq", ...process.env.BENCH_VARIANTS.split(",").filter((v) => v !== "taskq")]
  : ALL;

const server = await startRedis();
console.log(
  `Redis ${server.url}; ${N.toLocaleString("en-US")} no-op messages, 1 worker process, concurrency 50, median of ${RUNS} runs, Node ${process.version}\n`,
);
try {
  const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const v of VARIANTS) runs[v].push(await throughput(v, server.url, N));
  }
  const results = Object.fromEntries(
    VARIANTS.map((v) => [
      v,
      {
        rate: median(runs[v].map((x) => x.rate)),
        enqueueRate: median(runs[v].map((x) => x.enqueueRate)),
        workerCpu: median(runs[v].map((x) => x.workerCpu)),
        redisCpu: median(runs[v].map((x) => x.redisCpu)),
      },
    ]),
  );
  const none = results.taskq;
  const us = (v) => `${v.toFixed(2)} µs`;
  console.log(
    table([
      [
        "middleware",
        "processing",
        "× none",
        "worker CPU / msg",
        "Redis CPU / msg",
        "batched enqueue",
        "× none",
      ],
      ...VARIANTS.map((v) => [
        systems[v].label,
        formatRate(results[v].rate),
        (results[v].rate / none.rate).toFixed(2),
        us(results[v].workerCpu),
        us(results[v].redisCpu),
        formatRate(results[v].enqueueRate),
        (results[v].enqueueRate / none.enqueueRate).toFixed(2),
      ]),
    ]),
  );
  writeSummary(
    "middleware",
    VARIANTS.slice(1).map((v) => ({
      scenario: `Redis processing with ${systems[v].label.replace("taskq + ", "")}, vs none`,
      taskq: formatRate(results[v].rate),
      peer: `none ${formatRate(none.rate)}`,
      ratio: `${(results[v].rate / none.rate).toFixed(2)}×`,
      ...(v === "taskqState" ? { target: "≥ 0.7×", met: results[v].rate / none.rate >= 0.7 } : {}),
    })),
  );
} finally {
  await server.stop();
}
