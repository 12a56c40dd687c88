// The actors of isolation.bench.mjs. Pool threads import this module too, so the broker's
// settings come from the environment the bench sets before importing it.
import { createHash } from "node:crypto";
import { RedisBroker } from "@taskq/broker-redis";
import { actor } from "@taskq/core";

export const broker = new RedisBroker({
  url: process.env.BENCH_REDIS_URL,
  namespace: process.env.BENCH_NS ?? "bench-iso",
  heartbeatTimeout: 2000,
});

/** Hash for `ms` milliseconds without yielding: CPU-bound work. */
export function hashFor(ms) {
  const end = performance.now() + ms;
  let h = "seed";
  while (performance.now() < end) h = createHash("sha256").update(h).digest("hex");
  return h.length;
}

const opts = (actorName, queueName, isolation) => ({
  broker,
  actorName,
  queueName,
  timeLimit: 120_000,
  maxRetries: 0,
  ...(isolation ? { isolation: "thread", actorModule: import.meta.url } : {}),
});

export const hash = actor((ms) => hashFor(ms), opts("hash", "inline"));
export const hashIsolated = actor((ms) => hashFor(ms), opts("hashIsolated", "isolated", true));
export const noop = actor(() => null, opts("noop", "inline"));
export const noopIsolated = actor(() => null, opts("noopIsolated", "isolated", true));

/** Start latencies of `probe`, recorded in the worker's process (ms, send → start). */
export const probeLatencies = [];
export const probe = actor(
  (sentAt) => {
    probeLatencies.push(Date.now() - sentAt);
    return null;
  },
  opts("probe", "probe"),
);
