// Isolation (DESIGN §16) on this machine: CPU-bound actors with and without a thread pool.
//   1. throughput of a CPU-bound actor (BENCH_HASH_MS of sha256 hashing) at concurrency 2,
//      inline vs isolated, and the worst gap between the worker's Redis heartbeats meanwhile;
//   2. one long CPU-bound call (BENCH_LONG_MS): the worst heartbeat gap and the p99 start
//      latency of a no-op actor sent every 50 ms during it, inline vs isolated;
//   3. the cost per message of isolation on a no-op actor.
// Results: tables on stdout and results/isolation.json.
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { startRedis } from "@taskq/test-servers";
import { formatRate, table } from "./lib.mjs";

const HASH_MS = Number(process.env.BENCH_HASH_MS ?? 20);
const HASH_MESSAGES = Number(process.env.BENCH_HASH_MESSAGES ?? 300);
const LONG_MS = Number(process.env.BENCH_LONG_MS ?? 10_000);
const NOOP_MESSAGES = Number(process.env.BENCH_NOOP_MESSAGES ?? 3000);
const CONCURRENCY = 2;

const redis = await startRedis();
process.env.BENCH_REDIS_URL = redis.url;
process.env.BENCH_NS = `bench-iso-${randomUUID()}`;
const fx = await import("./isolation/actors.mjs");
const { broker } = fx;

/** Watch a worker's heartbeat score in Redis; returns a stop() giving the worst gap (ms). */
function watchHeartbeats(brokerId) {
  const scores = [];
  const timer = setInterval(() => {
    broker.client.zscore(broker.keys.heartbeats, brokerId).then((s) => {
      if (s !== null && Number(s) !== scores.at(-1)) scores.push(Number(s));
    });
  }, 50);
  return () => {
    clearInterval(timer);
    let worst = 0;
    for (let i = 1; i < scores.length; i++) worst = Math.max(worst, scores[i] - scores[i - 1]);
    return worst;
  };
}

/** Run `fn(worker)` with a worker process (concurrency 2) consuming `queues`. */
async function withWorker(queues, fn) {
  const proc = fork(new URL("./isolation/worker-child.mjs", import.meta.url), queues, {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const next = (key) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m?.[key] !== undefined) {
          proc.off("message", on);
          resolve(m);
        }
      };
      proc.on("message", on);
    });
  const { brokerId } = await next("ready");
  const worker = { brokerId, latencies: [] };
  try {
    return await fn(worker);
  } finally {
    const done = next("latencies");
    proc.send("stop");
    worker.latencies.push(...(await done).latencies);
    await new Promise((r) => (proc.exitCode === null ? proc.once("exit", r) : r()));
  }
}

async function drain(queue) {
  await broker.join(queue, { timeout: 600_000 });
}

async function throughput(actor, queue, count, arg) {
  return withWorker([queue], async (worker) => {
    const stop = watchHeartbeats(worker.brokerId);
    const started = performance.now();
    await broker.enqueueMany(
      Array.from({ length: count }, () =>
        arg === undefined ? actor.message() : actor.message(arg),
      ),
    );
    await drain(queue);
    const seconds = (performance.now() - started) / 1000;
    return { rate: count / seconds, worstHeartbeatGap: stop() };
  });
}

async function longCall(actor, queue) {
  let latencies;
  const out = await withWorker([queue, "probe"], async (worker) => {
    latencies = worker.latencies;
    await new Promise((r) => setTimeout(r, 1200)); // a few heartbeats first
    const stop = watchHeartbeats(worker.brokerId);
    await actor.send(LONG_MS);
    const end = Date.now() + LONG_MS;
    while (Date.now() < end) {
      await fx.probe.send(Date.now());
      await new Promise((r) => setTimeout(r, 50));
    }
    await drain(queue);
    await drain("probe");
    return { worstHeartbeatGap: stop() };
  });
  // The worker process reports its probes' start latencies once it has stopped.
  const sorted = [...latencies].sort((a, b) => a - b);
  const p = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { ...out, p50: p(0.5), p99: p(0.99), probes: sorted.length };
}

const results = {};
results.cpu = {
  inline: await throughput(fx.hash, "inline", HASH_MESSAGES, HASH_MS),
  isolated: await throughput(fx.hashIsolated, "isolated", HASH_MESSAGES, HASH_MS),
};
results.long = {
  inline: await longCall(fx.hash, "inline"),
  isolated: await longCall(fx.hashIsolated, "isolated"),
};
results.noop = {
  inline: await throughput(fx.noop, "inline", NOOP_MESSAGES, undefined),
  isolated: await throughput(fx.noopIsolated, "isolated", NOOP_MESSAGES, undefined),
};

const ms = (n) => `${Math.round(n)} ms`;
console.log(
  `\nCPU-bound actor (${HASH_MS} ms of sha256), ${HASH_MESSAGES} messages, concurrency ${CONCURRENCY}, RedisBroker\n`,
);
console.log(
  table([
    ["mode", "messages/s", "worst heartbeat gap"],
    ["inline", formatRate(results.cpu.inline.rate), ms(results.cpu.inline.worstHeartbeatGap)],
    [
      "isolation: thread",
      formatRate(results.cpu.isolated.rate),
      ms(results.cpu.isolated.worstHeartbeatGap),
    ],
  ]),
);
console.log(
  `\nOne ${LONG_MS} ms CPU-bound call, a no-op actor sent every 50 ms meanwhile (heartbeat every 500 ms)\n`,
);
console.log(
  table([
    ["mode", "worst heartbeat gap", "no-op start p50", "no-op start p99"],
    ...["inline", "isolated"].map((k) => [
      k === "inline" ? "inline" : "isolation: thread",
      ms(results.long[k].worstHeartbeatGap),
      ms(results.long[k].p50),
      ms(results.long[k].p99),
    ]),
  ]),
);
const overhead = 1000 / results.noop.isolated.rate - 1000 / results.noop.inline.rate;
console.log(`\nNo-op actor, ${NOOP_MESSAGES} messages, concurrency ${CONCURRENCY}\n`);
console.log(
  table([
    ["mode", "messages/s", "ms per message"],
    ["inline", formatRate(results.noop.inline.rate), (1000 / results.noop.inline.rate).toFixed(3)],
    [
      "isolation: thread",
      formatRate(results.noop.isolated.rate),
      (1000 / results.noop.isolated.rate).toFixed(3),
    ],
  ]),
);
console.log(`\nIsolation overhead per no-op message: ${overhead.toFixed(3)} ms`);

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("./results/isolation.json", import.meta.url),
  `${JSON.stringify({ node: process.version, hashMs: HASH_MS, longMs: LONG_MS, ...results }, null, 2)}\n`,
);
await broker.close();
await redis.stop();
process.exit(0);
