// One adapter per system measured: how it enqueues a batch and how a worker consumes.
// Each consumes no-op jobs with the same concurrency on the same Redis.
import { RedisBroker } from "@taskq/broker-redis";
import { RedisCancelBackend } from "@taskq/cancel-redis";
import { actor, Cancel, MessageState, setLogger, Worker as TaskqWorker } from "@taskq/core";
import { OpenTelemetry } from "@taskq/opentelemetry";
import { Prometheus } from "@taskq/prometheus";
import { RedisStateBackend } from "@taskq/state-redis";
import BeeQueue from "bee-queue";
import { Queue as BullQueue, Worker as BullWorker } from "bullmq";
import { Redis } from "ioredis";
import { registerSdk } from "../otel-sdk.mjs";

setLogger({ debug() {}, info() {}, warn: console.warn, error: console.error });

const QUEUE = "bench";
const BATCH = 1000;

/** A Bee-Queue handle that only produces: no worker, no events. */
function openBeeProducer(url) {
  return new BeeQueue(QUEUE, {
    redis: hostPort(url),
    isWorker: false,
    getEvents: false,
    sendEvents: false,
  });
}

function hostPort(url) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/**
 * The middleware a taskq variant adds, each on the same Redis; close() undoes what it opened.
 * "otelSdk" registers a real SDK in the process (it is one per process: the worker child).
 */
const EXTRAS = {
  none: () => [],
  state: (url) => [
    new MessageState({ backend: new RedisStateBackend({ url, namespace: "bench" }) }),
  ],
  cancel: (_url, broker) => [
    new Cancel({ backend: new RedisCancelBackend({ client: broker.client, namespace: "bench" }) }),
  ],
  prometheus: () => [new Prometheus({ host: "127.0.0.1", port: 0 })],
  otel: () => [new OpenTelemetry()],
  otelSdk: () => {
    if (!sdkRegistered) registerSdk(2_000_000);
    sdkRegistered = true;
    return [new OpenTelemetry()];
  },
};
let sdkRegistered = false;

/** A RedisBroker with the variant's middleware. */
function taskqBroker(url, extras) {
  const broker = new RedisBroker({ url, namespace: "bench" });
  for (const m of EXTRAS[extras](url, broker)) broker.addMiddleware(m);
  return broker;
}

async function closeBroker(broker) {
  for (const m of broker.middleware) {
    if (m instanceof MessageState) await m.backend.close();
    if (m instanceof Prometheus) await m.close();
    if (m instanceof Cancel) await m.backend.close();
  }
  await broker.close();
}

function taskq(label, extras) {
  return {
    label,
    async enqueue(url, n, payload = () => 0) {
      const broker = taskqBroker(url, extras);
      const noop = actor(() => undefined, { broker, actorName: "noop", queueName: QUEUE });
      const started = performance.now();
      for (let i = 0; i < n; i += BATCH) {
        const batch = [];
        for (let j = i; j < Math.min(n, i + BATCH); j++) batch.push(noop.message(payload(j)));
        await broker.enqueueMany(batch);
      }
      const elapsed = performance.now() - started;
      await closeBroker(broker);
      return elapsed;
    },
    async send(url) {
      const broker = taskqBroker(url, extras);
      const noop = actor(() => undefined, { broker, actorName: "noop", queueName: QUEUE });
      return { send: (value) => noop.send(value), close: () => closeBroker(broker) };
    },
    async work(url, concurrency, onJob) {
      const broker = taskqBroker(url, extras);
      actor((value) => onJob(value), { broker, actorName: "noop", queueName: QUEUE });
      const worker = new TaskqWorker(broker, { concurrency, workerTimeout: 1000 });
      await worker.start();
      return async () => {
        await worker.stop({ timeout: 10_000 });
        await closeBroker(broker);
      };
    },
  };
}

export const systems = {
  taskq: taskq("taskq (RedisBroker)", "none"),
  // The same, every message's state recorded in Redis: pending, started, success.
  taskqState: taskq("taskq + MessageState", "state"),
  taskqCancel: taskq("taskq + Cancel (cancel-redis)", "cancel"),
  taskqPrometheus: taskq("taskq + Prometheus", "prometheus"),
  taskqOtel: taskq("taskq + OpenTelemetry, no SDK", "otel"),
  taskqOtelSdk: taskq("taskq + OpenTelemetry, SDK", "otelSdk"),

  bullmq: {
    label: "BullMQ",
    async enqueue(url, n, payload = () => 0) {
      const queue = new BullQueue(QUEUE, { connection: hostPort(url) });
      const started = performance.now();
      for (let i = 0; i < n; i += BATCH) {
        const batch = [];
        for (let j = i; j < Math.min(n, i + BATCH); j++) {
          batch.push({
            name: "noop",
            data: { v: payload(j) },
            opts: { removeOnComplete: true, removeOnFail: true },
          });
        }
        await queue.addBulk(batch);
      }
      const elapsed = performance.now() - started;
      await queue.close();
      return elapsed;
    },
    async send(url) {
      const queue = new BullQueue(QUEUE, { connection: hostPort(url) });
      return {
        send: (value) =>
          queue.add("noop", { v: value }, { removeOnComplete: true, removeOnFail: true }),
        close: () => queue.close(),
      };
    },
    async work(url, concurrency, onJob) {
      const worker = new BullWorker(QUEUE, async (job) => onJob(job.data.v), {
        connection: { ...hostPort(url), maxRetriesPerRequest: null },
        concurrency,
        removeOnComplete: { count: 0 },
        removeOnFail: { count: 0 },
      });
      await worker.waitUntilReady();
      return () => worker.close();
    },
  },

  beequeue: {
    label: "Bee-Queue",
    async enqueue(url, n, payload = () => 0) {
      const queue = openBeeProducer(url);
      await queue.ready();
      const started = performance.now();
      for (let i = 0; i < n; i += BATCH) {
        const jobs = [];
        for (let j = i; j < Math.min(n, i + BATCH); j++)
          jobs.push(queue.createJob({ v: payload(j) }));
        await queue.saveAll(jobs);
      }
      const elapsed = performance.now() - started;
      await queue.close();
      return elapsed;
    },
    async send(url) {
      const queue = openBeeProducer(url);
      await queue.ready();
      return { send: (value) => queue.createJob({ v: value }).save(), close: () => queue.close() };
    },
    async work(url, concurrency, onJob) {
      const queue = new BeeQueue(QUEUE, {
        redis: hostPort(url),
        removeOnSuccess: true,
        removeOnFailure: true,
        getEvents: false,
        sendEvents: false,
        activateDelayedJobs: false,
      });
      await queue.ready();
      queue.process(concurrency, async (job) => onJob(job.data.v));
      return () => queue.close();
    },
  },
};

export async function flushAll(url) {
  const client = new Redis(url);
  await client.flushall();
  client.disconnect();
}
