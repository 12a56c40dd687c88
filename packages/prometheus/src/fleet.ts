import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from "prom-client";

/** One registry's metrics, as prom-client's `getMetricsAsJSON` gives them. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What a worker process answers the main process: its metrics, and which process it is. */
export interface ProcessMetrics {
  /** Random, per process: a later process under a reused pid is another one. */
  id: string;
  pid: number;
  /** Grows with each answer, so an older answer never replaces a newer one. */
  seq: number;
  metrics: MetricsJson;
}

function isProcessMetrics(value: unknown): value is ProcessMetrics {
  const v = value as Partial<ProcessMetrics> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.id === "string" &&
    typeof v.pid === "number" &&
    typeof v.seq === "number" &&
    Array.isArray(v.metrics)
  );
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The metrics of a fleet of worker processes, as Dramatiq's multiprocess collector keeps
 * them: the newest answer of every live process, plus one total of every process that has
 * died — counters and histograms summed into it, gauges dropped. A process killed or
 * replaced therefore never makes a counter go down or a series vanish (which Prometheus
 * would read as a reset); what it did after its last answer is all that is lost.
 */
export class FleetMetrics {
  private readonly live = new Map<string, ProcessMetrics>();
  /** When each live process was first heard of (a count, not a time): the later is newer. */
  private readonly since = new Map<string, number>();
  private heard = 0;
  private readonly deadIds = new Set<string>();
  private dead: MetricsJson = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly isAlive: (pid: number) => boolean;

  constructor(isAlive: (pid: number) => boolean = pidAlive) {
    this.isAlive = isAlive;
  }

  /** Take in a round of answers, then fold the processes that are gone into the dead total. */
  update(answers: readonly unknown[]): Promise<void> {
    return this.serially(async () => {
      for (const answer of answers) {
        if (!isProcessMetrics(answer) || this.deadIds.has(answer.id)) continue;
        const known = this.live.get(answer.id);
        if (known === undefined) this.since.set(answer.id, this.heard++);
        if (known === undefined || answer.seq > known.seq) this.live.set(answer.id, answer);
      }
      for (const gone of this.gone()) await this.fold(gone);
    });
  }

  /** The fleet's sum, in the exposition format. */
  render(): Promise<{ contentType: string; body: string }> {
    return this.serially(async () => {
      const registry = AggregatorRegistry.aggregate([
        ...[...this.live.values()].map((p) => p.metrics),
        this.dead,
      ]);
      return { contentType: registry.contentType, body: await registry.metrics() };
    });
  }

  /** Live processes that have exited, or whose pid a newer process now has. */
  private gone(): ProcessMetrics[] {
    const newestByPid = new Map<number, ProcessMetrics>();
    for (const p of this.live.values()) {
      const other = newestByPid.get(p.pid);
      if (other === undefined || this.since.get(other.id)! < this.since.get(p.id)!) {
        newestByPid.set(p.pid, p);
      }
    }
    return [...this.live.values()].filter(
      (p) => newestByPid.get(p.pid) !== p || !this.isAlive(p.pid),
    );
  }

  private async fold(gone: ProcessMetrics): Promise<void> {
    this.live.delete(gone.id);
    this.since.delete(gone.id);
    this.deadIds.add(gone.id);
    // prom-client types `type` as a numeric enum; at run time it is the name ("gauge").
    const kept = gone.metrics.filter((m) => (m.type as unknown as string) !== "gauge");
    this.dead = (await AggregatorRegistry.aggregate([
      this.dead,
      kept,
    ]).getMetricsAsJSON()) as MetricsJson;
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run);
    this.queue = result.catch(() => {});
    return result;
  }
}
