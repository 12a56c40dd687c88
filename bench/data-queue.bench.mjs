// Data queues on Redis (DESIGN §13): put and get of N items in batches of 1,000, items/s.
// One private redis-server started by the run; every run uses a fresh data queue.
import { mkdirSync, writeFileSync } from "node:fs";
import { RedisBroker } from "@taskq/broker-redis";
import { startRedis } from "@taskq/test-servers";
import { median, table } from "./lib.mjs";

const N = Number(process.env.BENCH_DATA_ITEMS ?? 100_000);
const BATCH = Number(process.env.BENCH_DATA_BATCH ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const item = (i) => ({ id: i, user: `user-${i % 1000}`, value: i * 1.5, tags: ["a", "b"] });

/** One run: put N items in batches, then take them all back in batches; items/s of each. */
async function run(broker, name, mode) {
  const lease = mode === "leases + done";
  const q = broker.dataQueue(name, lease ? { visTimeout: 60_000 } : {});
  const batches = [];
  for (let start = 0; start < N; start += BATCH) {
    batches.push(Array.from({ length: Math.min(BATCH, N - start) }, (_, i) => item(start + i)));
  }
  let t = process.hrtime.bigint();
  for (const batch of batches) await q.put(batch);
  const putRate = N / (Number(process.hrtime.bigint() - t) / 1e9);
  let got = 0;
  t = process.hrtime.bigint();
  while (got < N) {
    const items = await q.get(BATCH);
    if (items.size === 0) throw new Error(`ran dry after ${got} of ${N} items`);
    got += items.size;
    if (lease) await q.done(items);
  }
  const getRate = N / (Number(process.hrtime.bigint() - t) / 1e9);
  if ((await q.size()) !== 0) throw new Error("items left over");
  return { putRate, getRate };
}

const rate = (r) => `${Math.round(r).toLocaleString("en-US")}/s`;
const MODES = ["visTimeout 0", "leases + done"];

const server = await startRedis();
const broker = new RedisBroker({ url: server.url, namespace: "bench" });
console.log(
  `Redis ${server.url}; ${N.toLocaleString("en-US")} items in batches of ${BATCH}, median of ${RUNS} runs, Node ${process.version}\n`,
);
try {
  const runs = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const mode of MODES) runs[mode].push(await run(broker, `bench-${r}-${mode.length}`, mode));
  }
  const results = Object.fromEntries(
    MODES.map((m) => [
      m,
      {
        putRate: median(runs[m].map((x) => x.putRate)),
        getRate: median(runs[m].map((x) => x.getRate)),
      },
    ]),
  );
  console.log(
    table([
      ["data queue", `put (batches of ${BATCH})`, `get (batches of ${BATCH})`],
      ...MODES.map((m) => [m, rate(results[m].putRate), rate(results[m].getRate)]),
    ]),
  );
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./results/data-queue.json", import.meta.url),
    `${JSON.stringify(
      { date: new Date().toISOString(), node: process.version, N, BATCH, runs, results },
      null,
      2,
    )}\n`,
  );
} finally {
  await broker.close();
  await server.stop();
}
