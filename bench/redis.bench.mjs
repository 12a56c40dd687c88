// taskq's RedisBroker side by side with BullMQ and Bee-Queue, on one private Redis, in one
// run: processing throughput (one worker process, no-op jobs, concurrency 50, pre-enqueued),
// batched enqueue throughput, enqueue -> start latency on an idle worker, and worker memory
// over a long run. Results: a table on stdout and results/redis.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { startRedis } from "@taskq/test-servers";
import { median, table, writeSummary } from "./lib.mjs";
import { child, throughput } from "./redis/runner.mjs";
import { flushAll, systems } from "./redis/systems.mjs";

const N = Number(process.env.BENCH_MESSAGES ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 2000);
const MEMORY_MESSAGES = Number(process.env.BENCH_MEMORY_MESSAGES ?? 1_000_000);
const SEND_LOOP = Number(process.env.BENCH_SEND_LOOP ?? 5000);
const ORDER = ["taskq", "bullmq", "beequeue"];
const THROUGHPUT = ORDER;

/**
 * Single sends in a loop: awaited one after another (round-trip bound), and 1,000 started in
 * one turn then awaited together (what a request handler fanning out, or a loop that does not
 * await each send, does). Messages/s.
 */
async function sendLoop(system, url) {
  await flushAll(url);
  const producer = await systems[system].send(url);
  for (let i = 0; i < 100; i++) await producer.send(i);
  let started = performance.now();
  for (let i = 0; i < SEND_LOOP; i++) await producer.send(i);
  const awaited = SEND_LOOP / ((performance.now() - started) / 1000);
  const turn = SEND_LOOP * 4;
  started = performance.now();
  for (let i = 0; i < turn; i += 1000) {
    const pending = [];
    for (let j = i; j < i + 1000; j++) pending.push(producer.send(j));
    await Promise.all(pending);
  }
  const perTurn = turn / ((performance.now() - started) / 1000);
  await producer.close();
  return { awaited, perTurn };
}

async function latency(system, url) {
  await flushAll(url);
  const worker = child(system, url, "latency", 0);
  await worker.ready;
  const producer = await systems[system].send(url);
  // Warm up, then one message at a time, each onto an idle worker.
  for (let i = 0; i < 200; i++) await producer.send(Number(process.hrtime.bigint()) / 1e6);
  await new Promise((r) => setTimeout(r, 500));
  await worker.report();
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    await producer.send(Number(process.hrtime.bigint()) / 1e6);
    await new Promise((r) => setTimeout(r, 3));
  }
  await new Promise((r) => setTimeout(r, 500));
  const { latencies } = await worker.report();
  await producer.close();
  await worker.stop();
  const sorted = latencies.slice(-LATENCY_SAMPLES).sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), samples: sorted.length };
}

async function memory(url) {
  await flushAll(url);
  await systems.taskq.enqueue(url, MEMORY_MESSAGES);
  const worker = child("taskq", url, "memory", MEMORY_MESSAGES);
  await worker.ready;
  const result = await worker.done;
  await worker.stop();
  // Past warm-up (the first 10%): how far RSS strays from its mean, and its trend (a leak
  // shows as a slope; a heap breathing between collections does not).
  const samples = result.rss.filter((s) => s.done >= MEMORY_MESSAGES * 0.1);
  const mean = samples.reduce((a, s) => a + s.rss, 0) / samples.length;
  const deviation = Math.max(...samples.map((s) => Math.abs(s.rss - mean))) / mean;
  const mx = samples.reduce((a, s) => a + s.done, 0) / samples.length;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.done - mx) * (s.rss - mean);
    den += (s.done - mx) ** 2;
  }
  const slopePer100k = den === 0 ? 0 : (num / den) * 100_000;
  return {
    mean,
    min: Math.min(...samples.map((s) => s.rss)),
    max: Math.max(...samples.map((s) => s.rss)),
    deviation,
    slopePer100k,
    rate: result.rate,
    samples: samples.length,
  };
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const rate = (r) => `${Math.round(r).toLocaleString("en-US")}/s`;

const server = await startRedis();
console.log(
  `Redis ${server.url}; ${N.toLocaleString("en-US")} no-op jobs, concurrency ${CONCURRENCY}, median of ${RUNS} runs each, Node ${process.version}\n`,
);
try {
  const runs = Object.fromEntries(THROUGHPUT.map((s) => [s, []]));
  const sends = Object.fromEntries(ORDER.map((s) => [s, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const system of THROUGHPUT) runs[system].push(await throughput(system, server.url, N));
    for (const system of ORDER) sends[system].push(await sendLoop(system, server.url));
  }
  const results = {};
  for (const system of THROUGHPUT) {
    results[system] = {
      rate: median(runs[system].map((r) => r.rate)),
      enqueueRate: median(runs[system].map((r) => r.enqueueRate)),
      workerCpu: median(runs[system].map((r) => r.workerCpu)),
      redisCpu: median(runs[system].map((r) => r.redisCpu)),
    };
  }
  const t = results.taskq;
  console.log(
    table([
      ["system", "processing", "taskq ×", "batched enqueue", "taskq ×"],
      ...ORDER.map((s) => [
        systems[s].label,
        rate(results[s].rate),
        (t.rate / results[s].rate).toFixed(2),
        rate(results[s].enqueueRate),
        (t.enqueueRate / results[s].enqueueRate).toFixed(2),
      ]),
    ]),
  );

  const send = {};
  for (const system of ORDER) {
    send[system] = {
      awaited: median(sends[system].map((r) => r.awaited)),
      perTurn: median(sends[system].map((r) => r.perTurn)),
    };
  }
  console.log(
    `\nsingle sends in a loop (${SEND_LOOP.toLocaleString("en-US")} awaited one by one; ${(SEND_LOOP * 4).toLocaleString("en-US")} as 1,000 started per turn, awaited together):\n`,
  );
  console.log(
    table([
      ["system", "awaited each", "taskq ×", "1,000 per turn", "taskq ×"],
      ...ORDER.map((s) => [
        systems[s].label,
        rate(send[s].awaited),
        (send.taskq.awaited / send[s].awaited).toFixed(2),
        rate(send[s].perTurn),
        (send.taskq.perTurn / send[s].perTurn).toFixed(2),
      ]),
    ]),
  );

  const lat = {};
  for (const system of ORDER) lat[system] = await latency(system, server.url);
  console.log(
    `\nenqueue -> start latency on an idle worker (${LATENCY_SAMPLES} samples, one at a time):\n`,
  );
  console.log(
    table([
      ["system", "p50", "p99"],
      ...ORDER.map((s) => [
        systems[s].label,
        `${lat[s].p50.toFixed(3)} ms`,
        `${lat[s].p99.toFixed(3)} ms`,
      ]),
    ]),
  );

  const x = (a, b) => `${(a / b).toFixed(2)}×`;
  writeSummary("redis", [
    {
      scenario: "Redis processing, no-op, 1 worker process, vs BullMQ",
      taskq: rate(t.rate),
      peer: rate(results.bullmq.rate),
      ratio: x(t.rate, results.bullmq.rate),
    },
    {
      scenario: "Redis processing, no-op, 1 worker process, vs Bee-Queue",
      taskq: rate(t.rate),
      peer: rate(results.beequeue.rate),
      ratio: x(t.rate, results.beequeue.rate),
    },
    {
      scenario: "Redis batched enqueue (1,000) vs Bee-Queue saveAll",
      taskq: rate(t.enqueueRate),
      peer: rate(results.beequeue.enqueueRate),
      ratio: x(t.enqueueRate, results.beequeue.enqueueRate),
      target: "≥ 1.5×",
      met: t.enqueueRate / results.beequeue.enqueueRate >= 1.5,
    },
    {
      scenario: "Redis send() loop, 1,000 per turn, vs BullMQ add()",
      taskq: rate(send.taskq.perTurn),
      peer: rate(send.bullmq.perTurn),
      ratio: x(send.taskq.perTurn, send.bullmq.perTurn),
      target: "≥ 3×",
      met: send.taskq.perTurn / send.bullmq.perTurn >= 3,
    },
    {
      scenario: "Redis send() loop, each awaited, vs BullMQ add()",
      taskq: rate(send.taskq.awaited),
      peer: rate(send.bullmq.awaited),
      ratio: x(send.taskq.awaited, send.bullmq.awaited),
      target: "≥ 3×",
      met: send.taskq.awaited / send.bullmq.awaited >= 3,
    },
    {
      scenario: "Redis enqueue → start, idle worker, p50 / p99",
      taskq: `${lat.taskq.p50.toFixed(2)} / ${lat.taskq.p99.toFixed(2)} ms`,
      peer: `BullMQ ${lat.bullmq.p50.toFixed(2)} / ${lat.bullmq.p99.toFixed(2)} ms`,
      ratio: "",
      target: "p99 ≤ 2 ms",
      met: lat.taskq.p99 <= 2,
    },
  ]);

  let mem;
  if (MEMORY_MESSAGES > 0) {
    mem = await memory(server.url);
    console.log(
      `\ntaskq worker RSS over ${MEMORY_MESSAGES.toLocaleString("en-US")} messages (after the first 10%): ` +
        `mean ${mb(mem.mean)}, min ${mb(mem.min)}, max ${mb(mem.max)}, within ±${(mem.deviation * 100).toFixed(1)}% of the mean; ` +
        `trend ${(mem.slopePer100k / 1024 / 1024).toFixed(2)} MB per 100k messages; ${rate(mem.rate)}`,
    );
  }
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./results/redis.json", import.meta.url),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        N,
        CONCURRENCY,
        runs,
        results,
        latency: lat,
        sends,
        memory: mem,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await server.stop();
}
