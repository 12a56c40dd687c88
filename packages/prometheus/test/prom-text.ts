/**
 * A strict reader of the Prometheus text exposition format (0.0.4): it throws on any line
 * that is not a HELP or TYPE comment or a well-formed sample, so a test that reads metrics
 * through it also checks they parse.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (\\S+)(?: -?\\d+)?$`,
);
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function number(text: string, line: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`not a number in: ${line}`);
  return value;
}

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  const typed = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      if (!new RegExp(`^# HELP ${NAME} `).test(line)) throw new Error(`bad HELP line: ${line}`);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const m = new RegExp(`^# TYPE (${NAME}) (\\w+)$`).exec(line);
      if (!m || !TYPES.has(m[2]!)) throw new Error(`bad TYPE line: ${line}`);
      if (typed.has(m[1]!)) throw new Error(`TYPE given twice for ${m[1]}`);
      typed.set(m[1]!, m[2]!);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) for (const pair of m[2].matchAll(new RegExp(LABEL, "g"))) labels[pair[1]!] = pair[2]!;
    const family = m[1]!.replace(/_(bucket|sum|count|total)$/, "");
    if (![m[1]!, family, `${family}_total`].some((n) => typed.has(n)) && !typed.has(m[1]!)) {
      throw new Error(`sample without a TYPE: ${line}`);
    }
    samples.push({ name: m[1]!, labels, value: number(m.at(-1)!, line) });
  }
  return samples;
}

/** The value of the sample with this name and (at least) these labels; 0 when absent. */
export function value(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const s = samples.find(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  return s?.value ?? 0;
}
