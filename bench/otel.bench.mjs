// Per-message cost of the OpenTelemetry middleware: no-op messages through StubBroker +
// Worker with no middleware, with the middleware and no SDK registered (the API's no-op
// tracer), and with a real SDK (BasicTracerProvider, a batch processor, an exporter that
// drops what it is given, AsyncLocalStorage context, W3C propagation). Scenarios interleave
// run by run, so the noise of a shared machine falls on all of them alike; besides the rate,
// the process's CPU time per message is reported, which other processes on the machine
// disturb much less than the wall clock. Each run is a process of its own: an application has
// an SDK or has none, and a process that has had both runs the no-SDK path slower (call sites
// that saw real spans stay polymorphic).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { actor, StubBroker, setLogger, Worker } from "@taskq/core";
import { OpenTelemetry } from "@taskq/opentelemetry";
import { formatRate, median, table } from "./lib.mjs";
import { registerSdk } from "./otel-sdk.mjs";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };
setLogger(quiet);

let ended = 0;
let sdk;
function withSdk(scenario) {
  if (scenario !== "sdk") return undefined;
  sdk = registerSdk(MESSAGES * 2);
  return () => sdk.teardown();
}

/** Wall clock and this process's CPU time (all its threads, the GC's included). */
function start() {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return {
    stop() {
      const elapsed = Number(process.hrtime.bigint() - wall) / 1e9;
      const used = process.cpuUsage(cpu);
      return { rate: MESSAGES / elapsed, cpuUs: (used.user + used.system) / MESSAGES };
    },
  };
}

function makeBroker(scenario) {
  return new StubBroker({ middleware: scenario === "none" ? [] : [new OpenTelemetry()] });
}

/** Consumption only: messages are enqueued (through the middleware) before the clock starts. */
async function consume(scenario) {
  const teardown = withSdk(scenario);
  const broker = makeBroker(scenario);
  const noop = actor(async () => undefined, { broker, actorName: "noop" });
  const batch = [];
  for (let i = 0; i < MESSAGES; i++) batch.push(noop.message(i));
  await broker.enqueueMany(batch);
  const worker = new Worker(broker, { concurrency: CONCURRENCY, workerTimeout: 100 });
  const clock = start();
  await worker.start();
  await broker.join("default");
  const result = clock.stop();
  await worker.stop();
  if (teardown) {
    await teardown();
    ended = sdk.exported();
  }
  return result;
}

/** actor.send(), one at a time: encode + enqueue, and the producer span. */
async function send(scenario) {
  const teardown = withSdk(scenario);
  const broker = makeBroker(scenario);
  const noop = actor(() => undefined, { broker, actorName: "noop" });
  const clock = start();
  for (let i = 0; i < MESSAGES; i++) await noop.send(i);
  const result = clock.stop();
  if (teardown) await teardown();
  return result;
}

const SCENARIOS = ["none", "noSdk", "sdk"];
const KINDS = { consume, send };

if (process.argv[2] === "--child") {
  // One scenario in a fresh process: a warm-up run, then the measured one.
  const [kind, scenario] = process.argv.slice(3);
  await KINDS[kind](scenario);
  global.gc?.();
  const result = await KINDS[kind](scenario);
  console.log(JSON.stringify({ ...result, exported: ended }));
  process.exit(0);
}

function child(kind, scenario) {
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", fileURLToPath(import.meta.url), "--child", kind, scenario],
    { encoding: "utf8", env: process.env },
  );
  return JSON.parse(out.trim().split("\n").pop());
}

function measure(kind) {
  const runs = Object.fromEntries(SCENARIOS.map((s) => [s, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const s of SCENARIOS) runs[s].push(child(kind, s));
  }
  const exported = runs.sdk.at(-1).exported;
  return {
    exported,
    ...Object.fromEntries(
      SCENARIOS.map((s) => [
        s,
        { rate: median(runs[s].map((r) => r.rate)), cpuUs: median(runs[s].map((r) => r.cpuUs)) },
      ]),
    ),
  };
}

const LABELS = {
  none: "no middleware",
  noSdk: "OpenTelemetry, no SDK registered",
  sdk: "OpenTelemetry, SDK (batch processor)",
};

const signed = (x) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;

function report(title, m) {
  const rows = [[title, "rate", "µs / message", "CPU µs / message", "CPU overhead µs"]];
  for (const s of SCENARIOS) {
    rows.push([
      LABELS[s],
      formatRate(m[s].rate),
      (1e6 / m[s].rate).toFixed(2),
      m[s].cpuUs.toFixed(2),
      s === "none" ? "–" : signed(m[s].cpuUs - m.none.cpuUs),
    ]);
  }
  return table(rows);
}

const consumed = measure("consume");
const sent = measure("send");

console.log(
  `OpenTelemetry middleware: ${MESSAGES.toLocaleString("en-US")} no-op messages, concurrency ${CONCURRENCY}, median of ${RUNS} runs, Node ${process.version}\n`,
);
console.log(report("StubBroker + Worker (consume)", consumed));
console.log("");
console.log(report("actor.send() to StubBroker", sent));
console.log(
  `\nspans exported by the last SDK consume run (its producer spans included): ${consumed.exported.toLocaleString("en-US")} of ${(2 * MESSAGES).toLocaleString("en-US")}`,
);
