import { Registry } from "prom-client";
import { describe, expect, test } from "vitest";
import { FleetMetrics, type MetricsJson, type ProcessMetrics } from "../../src/fleet.js";
import { childrenFor, createMetrics } from "../../src/metrics.js";
import { parsePrometheusText, value } from "../prom-text.js";

/** One worker process's metrics: `processed` messages of actor a, `inProgress` running. */
async function snapshot(processed: number, inProgress: number): Promise<MetricsJson> {
  const registry = new Registry();
  const children = childrenFor(createMetrics(registry), "default", "a");
  children.total.inc(processed);
  for (let i = 0; i < processed; i++) children.duration.observe(30);
  children.inProgress.set(inProgress);
  return (await registry.getMetricsAsJSON()) as MetricsJson;
}

const answer = async (
  id: string,
  pid: number,
  seq: number,
  processed: number,
  inProgress = 0,
): Promise<ProcessMetrics> => ({
  id,
  pid,
  seq,
  metrics: await snapshot(processed, inProgress),
});

const labels = { queue_name: "default", actor_name: "a" };

async function read(fleet: FleetMetrics) {
  const samples = parsePrometheusText((await fleet.render()).body);
  return {
    total: value(samples, "taskq_messages_total", labels),
    durations: value(samples, "taskq_message_duration_milliseconds_count", labels),
    inProgress: value(samples, "taskq_messages_inprogress", labels),
    hasGauge: samples.some((s) => s.name === "taskq_messages_inprogress"),
  };
}

describe("FleetMetrics", () => {
  test("sums the newest answer of each live process; an older answer never replaces a newer one", async () => {
    const fleet = new FleetMetrics(() => true);
    await fleet.update([await answer("p1", 101, 2, 5, 1), await answer("p2", 102, 1, 3, 2)]);
    await fleet.update([await answer("p1", 101, 1, 1)]);
    expect(await read(fleet)).toMatchObject({ total: 8, durations: 8, inProgress: 3 });
  });

  test("a process that died keeps its counters and histograms in the sum; its gauges go", async () => {
    const alive = new Set([101, 102]);
    const fleet = new FleetMetrics((pid) => alive.has(pid));
    await fleet.update([await answer("p1", 101, 1, 5, 1), await answer("p2", 102, 1, 3, 2)]);
    alive.delete(101);
    // Its replacement starts from zero; p1 does not answer any more.
    await fleet.update([await answer("p2", 102, 2, 4, 2), await answer("p3", 103, 1, 0, 0)]);
    alive.add(103);
    await fleet.update([]);
    expect(await read(fleet)).toMatchObject({ total: 9, durations: 9, inProgress: 2 });
    // Every live process gone too: the counts stay, the gauges are gone.
    alive.clear();
    await fleet.update([]);
    expect(await read(fleet)).toMatchObject({ total: 9, durations: 9, hasGauge: false });
  });

  test("a late answer from a process already counted dead is not counted twice", async () => {
    const alive = new Set([101]);
    const fleet = new FleetMetrics((pid) => alive.has(pid));
    await fleet.update([await answer("p1", 101, 1, 5)]);
    alive.clear();
    await fleet.update([]);
    await fleet.update([await answer("p1", 101, 2, 6)]);
    expect((await read(fleet)).total).toBe(5);
  });

  test("a new process under a dead one's pid: the dead one is folded, the new one counted", async () => {
    const fleet = new FleetMetrics(() => true);
    await fleet.update([await answer("old", 101, 7, 5, 1)]);
    await fleet.update([await answer("new", 101, 1, 2, 1)]);
    expect(await read(fleet)).toMatchObject({ total: 7, inProgress: 1 });
  });

  test("answers of another shape (not from this package) are left out", async () => {
    const fleet = new FleetMetrics(() => true);
    await fleet.update([undefined, [], { id: "x" }, await answer("p1", 101, 1, 2)]);
    expect((await read(fleet)).total).toBe(2);
  });
});
