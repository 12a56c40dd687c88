import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Dramatiq's duration buckets, in milliseconds. */
export const DURATION_BUCKETS = [
  5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10_000, 30_000, 60_000, 600_000,
  900_000,
];

const LABELS = ["queue_name", "actor_name"] as const;

/** The metric families, registered on one registry. */
export function createMetrics(registry: Registry) {
  const common = { labelNames: LABELS, registers: [registry] };
  return {
    total: new Counter({
      name: "taskq_messages_total",
      help: "The total number of messages processed.",
      ...common,
    }),
    errors: new Counter({
      name: "taskq_message_errors_total",
      help: "The total number of errored messages.",
      ...common,
    }),
    retries: new Counter({
      name: "taskq_message_retries_total",
      help: "The total number of retried messages.",
      ...common,
    }),
    rejects: new Counter({
      name: "taskq_message_rejects_total",
      help: "The total number of dead-lettered messages.",
      ...common,
    }),
    inProgress: new Gauge({
      name: "taskq_messages_inprogress",
      help: "The number of messages in progress.",
      ...common,
    }),
    delayedInProgress: new Gauge({
      name: "taskq_delayed_messages_inprogress",
      help: "The number of delayed messages held in memory.",
      ...common,
    }),
    duration: new Histogram({
      name: "taskq_message_duration_milliseconds",
      help: "The time spent processing messages.",
      buckets: DURATION_BUCKETS,
      ...common,
    }),
    queueTime: new Histogram({
      name: "taskq_message_queue_time_milliseconds",
      help: "The time messages waited between being enqueued (or due) and starting.",
      buckets: DURATION_BUCKETS,
      ...common,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** One (queue, actor) pair's labelled children, resolved once instead of on every message. */
export function childrenFor(metrics: Metrics, queueName: string, actorName: string) {
  const labels = { queue_name: queueName, actor_name: actorName };
  return {
    total: metrics.total.labels(labels),
    errors: metrics.errors.labels(labels),
    retries: metrics.retries.labels(labels),
    rejects: metrics.rejects.labels(labels),
    inProgress: metrics.inProgress.labels(labels),
    delayedInProgress: metrics.delayedInProgress.labels(labels),
    duration: metrics.duration.labels(labels),
    queueTime: metrics.queueTime.labels(labels),
  };
}

export type Children = ReturnType<typeof childrenFor>;
