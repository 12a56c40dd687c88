// The one entry point: `node run.mjs [--quick] [scenario...]` (from the root: `pnpm bench`,
// `pnpm bench --quick`). Runs each scenario in a process of its own, one after another (they
// start their own servers), then prints one Markdown table of the ratios and targets the
// scenarios recorded (results/<name>.summary.json) and writes it to results/summary.json.
// --quick: small counts and one run each, every scenario in under 3 minutes together; the
// figures are a quick look, the full run is the one to quote. Knobs set in the environment
// win over both.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { table } from "./lib.mjs";

const SCENARIOS = {
  core: { file: "core.bench.mjs", quick: { BENCH_MESSAGES: 20_000, BENCH_RUNS: 1 } },
  otel: { file: "otel.bench.mjs", quick: { BENCH_MESSAGES: 20_000, BENCH_RUNS: 1 } },
  redis: {
    file: "redis.bench.mjs",
    quick: {
      BENCH_MESSAGES: 10_000,
      BENCH_RUNS: 1,
      BENCH_SEND_LOOP: 1000,
      BENCH_LATENCY_SAMPLES: 300,
      BENCH_MEMORY_MESSAGES: 0,
    },
  },
  middleware: { file: "middleware.bench.mjs", quick: { BENCH_MESSAGES: 10_000, BENCH_RUNS: 1 } },
  scaling: {
    file: "scaling.bench.mjs",
    quick: { BENCH_SCALING_NOOP: 30_000, BENCH_SCALING_IO: 10_000, BENCH_RUNS: 1 },
  },
  rabbitmq: {
    file: "rabbitmq.bench.mjs",
    quick: { BENCH_MESSAGES: 5000, BENCH_RUNS: 1, BENCH_LATENCY_SAMPLES: 300 },
  },
  "data-queue": {
    file: "data-queue.bench.mjs",
    quick: { BENCH_DATA_ITEMS: 20_000, BENCH_RUNS: 1 },
  },
  isolation: {
    file: "isolation.bench.mjs",
    quick: { BENCH_HASH_MESSAGES: 60, BENCH_LONG_MS: 2000, BENCH_NOOP_MESSAGES: 500 },
  },
  cluster: { file: "cluster.bench.mjs", quick: { BENCH_MESSAGES: 5000, BENCH_RUNS: 1 } },
  priorities: {
    file: "priorities.bench.mjs",
    quick: { BENCH_FLOOD: 2000, BENCH_HIGH: 20, BENCH_HIGH_RATE: 20 },
  },
};

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const names = args.filter((a) => !a.startsWith("--"));
const unknown = names.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0) {
  console.error(
    `unknown scenario ${unknown.join(", ")}; scenarios: ${Object.keys(SCENARIOS).join(", ")}`,
  );
  process.exit(2);
}
const chosen = names.length > 0 ? names : Object.keys(SCENARIOS);
const results = new URL("./results/", import.meta.url);
mkdirSync(results, { recursive: true });

const began = performance.now();
const failed = [];
for (const name of chosen) {
  const { file, quick: quickEnv } = SCENARIOS[name];
  const summary = new URL(`${name}.summary.json`, results);
  rmSync(summary, { force: true });
  console.log(`\n## ${name} (${file}${quick ? ", quick" : ""})\n`);
  const env = { ...process.env, BENCH_QUICK: quick ? "1" : "0" };
  if (quick) {
    for (const [k, v] of Object.entries(quickEnv)) if (env[k] === undefined) env[k] = String(v);
  }
  const started = performance.now();
  const r = spawnSync(process.execPath, ["--expose-gc", file], {
    cwd: new URL(".", import.meta.url),
    env,
    stdio: "inherit",
  });
  console.log(`\n(${name}: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  if (r.status !== 0) failed.push(name);
}

const rows = [["scenario", "taskq", "compared with", "ratio", "target", "met"]];
for (const name of chosen) {
  const summary = new URL(`${name}.summary.json`, results);
  if (!existsSync(summary)) continue;
  for (const row of JSON.parse(readFileSync(summary, "utf8")).rows) {
    rows.push([
      row.scenario,
      row.taskq,
      row.peer,
      row.ratio,
      row.target ?? "",
      row.met === undefined ? "" : row.met ? "yes" : "no",
    ]);
  }
}
const header =
  `${quick ? "Quick look" : "Full run"}, ${new Date().toISOString()}, Node ${process.version}, ` +
  `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, load average at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; ` +
  `${((performance.now() - began) / 1000).toFixed(0)} s in all`;
const markdown = `${header}\n\n${table(rows)}\n`;
console.log(`\n# Summary\n\n${markdown}`);
writeFileSync(
  new URL("summary.json", results),
  `${JSON.stringify({ quick, header, rows, markdown }, null, 2)}\n`,
);
if (failed.length > 0) {
  console.error(`failed: ${failed.join(", ")}`);
  process.exit(1);
}
