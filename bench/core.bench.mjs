// Throughput of the core engine with nothing else in the way: no-op messages through
// StubBroker + Worker, with the default middleware and with none, so the difference is the
// per-message cost of the default middleware.
import { actor, StubBroker, setLogger, Worker } from "@taskq/core";
import { formatRate, median, table } from "./lib.mjs";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };
setLogger(quiet);

async function run(middleware, sync) {
  const broker = new StubBroker(middleware === "default" ? {} : { middleware: [] });
  const noop = actor(sync ? () => undefined : async () => undefined, { broker, actorName: "noop" });
  // Pre-enqueue, then time consumption only.
  const batch = [];
  for (let i = 0; i < MESSAGES; i++) batch.push(noop.message(i));
  await broker.enqueueMany(batch);
  const worker = new Worker(broker, { concurrency: CONCURRENCY, workerTimeout: 100 });
  const started = process.hrtime.bigint();
  await worker.start();
  await broker.join("default");
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.stop();
  return MESSAGES / elapsed;
}

async function enqueueRate() {
  const broker = new StubBroker();
  const noop = actor(() => undefined, { broker, actorName: "noop" });
  const started = process.hrtime.bigint();
  for (let i = 0; i < MESSAGES; i++) await noop.send(i);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return MESSAGES / elapsed;
}

async function measure(fn) {
  await fn(); // warm-up
  const rates = [];
  for (let i = 0; i < RUNS; i++) {
    global.gc?.();
    rates.push(await fn());
  }
  return median(rates);
}

const withDefault = await measure(() => run("default", false));
const withNone = await measure(() => run("none", false));
const syncDefault = await measure(() => run("default", true));
const sends = await measure(enqueueRate);
const perMessageUs = (1 / withDefault - 1 / withNone) * 1e6;

console.log(
  `core engine: ${MESSAGES.toLocaleString("en-US")} no-op messages, concurrency ${CONCURRENCY}, median of ${RUNS} runs, Node ${process.version}\n`,
);
console.log(
  table([
    ["scenario", "rate", "µs / message"],
    [
      "StubBroker + Worker, default middleware, async actor",
      formatRate(withDefault),
      (1e6 / withDefault).toFixed(2),
    ],
    [
      "StubBroker + Worker, default middleware, sync actor",
      formatRate(syncDefault),
      (1e6 / syncDefault).toFixed(2),
    ],
    [
      "StubBroker + Worker, no middleware, async actor",
      formatRate(withNone),
      (1e6 / withNone).toFixed(2),
    ],
    ["actor.send() to StubBroker (encode + enqueue)", formatRate(sends), (1e6 / sends).toFixed(2)],
  ]),
);
console.log(`\nper-message cost of the default middleware: ${perMessageUs.toFixed(2)} µs`);
