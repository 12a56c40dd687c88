// Queue priorities under a flood: `low` holds BENCH_FLOOD messages (each a BENCH_JOB_MS = 50 ms job) while
// `high` messages arrive at a steady rate; each high message's wait (enqueue -> start) is
// measured, with and without `queuePriorities: { high: 10, low: 1 }`, on Redis and RabbitMQ.
// One worker (concurrency 10; prefetch BENCH_PREFETCH, default 2 × concurrency), in this
// process. Prints a table.
import { RabbitmqBroker } from "@taskq/broker-rabbitmq";
import { RedisBroker } from "@taskq/broker-redis";
import { actor, setLogger, Worker } from "@taskq/core";
import { startRabbitmq, startRedis } from "@taskq/test-servers";
import { table } from "./lib.mjs";

const FLOOD = Number(process.env.BENCH_FLOOD ?? 20_000);
const HIGH = Number(process.env.BENCH_HIGH ?? 100);
const HIGH_RATE = Number(process.env.BENCH_HIGH_RATE ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const PREFETCH = process.env.BENCH_PREFETCH ? Number(process.env.BENCH_PREFETCH) : undefined;
const JOB_MS = Number(process.env.BENCH_JOB_MS ?? 50);

const quiet = { debug() {}, info() {}, warn() {}, error() {}, isLevelEnabled: () => false };
setLogger(quiet);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function scenario(makeBroker, prioritised) {
  const broker = makeBroker();
  const waits = [];
  const low = actor(() => sleep(JOB_MS), { broker, actorName: "low_job", queueName: "low" });
  const high = actor(
    async (sentAt) => {
      waits.push(Date.now() - sentAt);
      await sleep(JOB_MS);
    },
    { broker, actorName: "high_job", queueName: "high" },
  );
  await broker.flush("low");
  await broker.flush("high");
  for (let i = 0; i < FLOOD; i += 1000)
    await broker.enqueueMany(
      Array.from({ length: Math.min(1000, FLOOD - i) }, () => low.message()),
    );
  const worker = new Worker(broker, {
    concurrency: CONCURRENCY,
    ...(PREFETCH ? { prefetch: PREFETCH } : {}),
    ...(prioritised ? { queuePriorities: { high: 10, low: 1 } } : {}),
  });
  await worker.start();
  await sleep(500); // the worker is busy on the flood
  for (let i = 0; i < HIGH; i++) {
    await high.send(Date.now());
    await sleep(1000 / HIGH_RATE);
  }
  const deadline = Date.now() + 120_000;
  while (waits.length < HIGH && Date.now() < deadline) await sleep(50);
  const lowLeft = (await broker.getQueueMessageCounts("low")).ready;
  await worker.stop({ timeout: 5000 });
  await broker.flush("low");
  await broker.close();
  const sorted = waits.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length, lowLeft };
}

const rows = [
  ["broker", "queuePriorities", "high p50 wait", "high p99 wait", "high msgs", "low still queued"],
];
const redis = await startRedis();
const rabbit = await startRabbitmq();
try {
  const brokers = {
    Redis: () => new RedisBroker({ url: redis.url, namespace: "bench-priorities" }),
    RabbitMQ: () => new RabbitmqBroker({ url: rabbit.url }),
  };
  for (const [name, make] of Object.entries(brokers)) {
    for (const prioritised of [false, true]) {
      const r = await scenario(make, prioritised);
      rows.push([
        name,
        prioritised ? "{ high: 10, low: 1 }" : "none",
        `${r.p50} ms`,
        `${r.p99} ms`,
        String(r.n),
        String(r.lowLeft),
      ]);
      console.error(rows.at(-1).join(" | "));
    }
  }
} finally {
  await redis.stop();
  await rabbit.stop();
  await rabbit.destroy?.();
}
console.log(table(rows));
process.exit(0);
