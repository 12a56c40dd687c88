// The actors of scaling.bench.mjs, loaded by the `taskq` CLI in each worker process: the
// broker's address and namespace come from the environment the bench sets.
import { RedisBroker } from "@taskq/broker-redis";
import { actor, setBroker, setLogger } from "@taskq/core";

setLogger({ debug() {}, info() {}, warn: console.warn, error: console.error });

export const broker = new RedisBroker({
  url: process.env.BENCH_REDIS_URL,
  namespace: process.env.BENCH_NS ?? "bench-scaling",
});
setBroker(broker);

export const noop = actor(() => undefined, { broker, actorName: "noop", queueName: "noop" });

/** 5 ms of waiting (I/O-bound work: a database call, an HTTP request). */
export const io5 = actor(() => new Promise((resolve) => setTimeout(resolve, 5)), {
  broker,
  actorName: "io5",
  queueName: "io5",
});
