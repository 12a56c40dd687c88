/** Small helpers shared by the benchmark scripts. */
import { mkdirSync, writeFileSync } from "node:fs";

export function formatRate(perSecond) {
  return `${Math.round(perSecond).toLocaleString("en-US")}/s`;
}

/** Median of several runs, to damp the noise of a shared 2-core machine. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
  return [
    line(rows[0]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

/**
 * Record the rows a scenario contributes to the summary table `run.mjs` prints at the end:
 * results/<name>.summary.json. Each row: { scenario, taskq, peer, ratio, target, met }, the
 * figures already formatted; `met` is true, false, or undefined when there is no target.
 */
export function writeSummary(name, rows) {
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL(`./results/${name}.summary.json`, import.meta.url),
    `${JSON.stringify({ name, date: new Date().toISOString(), rows }, null, 2)}\n`,
  );
}

/** Whether `--quick` (or BENCH_QUICK=1) asks for the short run. */
export const QUICK = process.env.BENCH_QUICK === "1";

/** A knob: the environment's value, else the quick or the full default. */
export function knob(name, full, quick = full) {
  const v = process.env[name];
  return v === undefined || v === "" ? (QUICK ? quick : full) : Number(v);
}

/** p-th quantile (0..1) of numbers. */
export function quantile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
