// Redis Cluster vs one Redis node (DESIGN §17): the cost of the cluster layout on one machine.
// One private redis-server and one 3-master Redis Cluster, both on loopback, started by the
// run. For each: enqueue N no-op messages over Q queues (enqueueMany, batches of 1,000), then
// process them with one in-process Worker (concurrency 50); messages/s of each step. Median
// of RUNS, the two targets interleaved; the ratio is cluster / one node.
import { mkdirSync, writeFileSync } from "node:fs";
import { RedisBroker } from "@taskq/broker-redis";
import { actor, Worker } from "@taskq/core";
import { startRedis, startRedisCluster } from "@taskq/test-servers";
import { formatRate, median, table, writeSummary } from "./lib.mjs";

const N = Number(process.env.BENCH_MESSAGES ?? 50_000);
const QUEUES = Number(process.env.BENCH_CLUSTER_QUEUES ?? 6);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const BATCH = 1000;

/** One run on a fresh namespace: enqueue rate, then processing rate. */
async function run(options, r) {
  const broker = new RedisBroker({ ...options, namespace: `bench-${r}-${Date.now()}` });
  let done = 0;
  let finished;
  const all = new Promise((resolve) => {
    finished = resolve;
  });
  const actors = Array.from({ length: QUEUES }, (_, q) =>
    actor(
      () => {
        if (++done === N) finished();
      },
      { broker, actorName: `noop${q}`, queueName: `bench${q}` },
    ),
  );
  try {
    let t = process.hrtime.bigint();
    for (let i = 0; i < N; i += BATCH) {
      const batch = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) batch.push(actors[j % QUEUES].message());
      await broker.enqueueMany(batch);
    }
    const enqueue = N / (Number(process.hrtime.bigint() - t) / 1e9);
    const worker = new Worker(broker, { concurrency: CONCURRENCY, workerTimeout: 100 });
    t = process.hrtime.bigint();
    await worker.start();
    await all;
    const processing = N / (Number(process.hrtime.bigint() - t) / 1e9);
    await worker.stop({ timeout: 10_000 });
    return { enqueue, processing };
  } finally {
    await broker.close();
  }
}

const single = await startRedis();
const cluster = await startRedisCluster({ masters: 3 });
const targets = {
  "one node": { url: single.url },
  "3-master cluster": { cluster: { nodes: [...cluster.startupNodes] } },
};
console.log(
  `${N.toLocaleString("en-US")} no-op messages over ${QUEUES} queues, concurrency ${CONCURRENCY}, median of ${RUNS} runs, Node ${process.version}\n`,
);
try {
  const runs = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const [name, options] of Object.entries(targets)) runs[name].push(await run(options, r));
  }
  const results = Object.fromEntries(
    Object.keys(targets).map((k) => [
      k,
      {
        enqueue: median(runs[k].map((x) => x.enqueue)),
        processing: median(runs[k].map((x) => x.processing)),
      },
    ]),
  );
  const one = results["one node"];
  const many = results["3-master cluster"];
  console.log(
    table([
      ["target", "batched enqueue", "processing"],
      ["one node", formatRate(one.enqueue), formatRate(one.processing)],
      ["3-master cluster", formatRate(many.enqueue), formatRate(many.processing)],
      [
        "cluster / one node",
        (many.enqueue / one.enqueue).toFixed(2),
        (many.processing / one.processing).toFixed(2),
      ],
    ]),
  );
  writeSummary("cluster", [
    {
      scenario: "Redis Cluster (3 masters) batched enqueue",
      taskq: formatRate(many.enqueue),
      peer: `one node ${formatRate(one.enqueue)}`,
      ratio: (many.enqueue / one.enqueue).toFixed(2),
    },
    {
      scenario: "Redis Cluster (3 masters) processing",
      taskq: formatRate(many.processing),
      peer: `one node ${formatRate(one.processing)}`,
      ratio: (many.processing / one.processing).toFixed(2),
    },
  ]);
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./results/cluster.json", import.meta.url),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        N,
        QUEUES,
        CONCURRENCY,
        runs,
        results,
      },
      null,
      2,
    ),
  );
} finally {
  await cluster.destroy();
  await single.stop();
}
