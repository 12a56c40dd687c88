// One adapter per system measured: how it enqueues a batch and how a worker consumes.
// Each consumes no-op jobs with the same concurrency on the same Redis.
import { RedisBroker } from "@taskq/broker-redis";
import { actor, MessageState, setLogger, Worker as TaskqWorker } from "@taskq/core";
import { RedisStateBackend } from "@taskq/state-redis";
import BeeQueue from "bee-queue";
import { Queue as BullQueue, Worker as BullWorker } from "bullmq";
import { Redis } from "ioredis";

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

/** A RedisBroker, with MessageState on the same Redis when `withState`. */
function taskqBroker(url, withState) {
  const broker = new RedisBroker({ url, namespace: "bench" });
  if (withState) {
    broker.addMiddleware(
      new MessageState({ backend: new RedisStateBackend({ url, namespace: "bench" }) }),
    );
  }
  return broker;
}

async function closeBroker(broker) {
  for (const m of broker.middleware) if (m instanceof MessageState) await m.backend.close();
  await broker.close();
}

function taskq(label, withState) {
  return {
    label,
    async enqueue(url, n, payload = () => 0) {
      const broker = taskqBroker(url, withState);
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
      const broker = taskqBroker(url, withState);
      const noop = actor(() => undefined, { broker, actorName: "noop", queueName: QUEUE });
      return { send: (value) => noop.send(value), close: () => closeBroker(broker) };
    },
    async work(url, concurrency, onJob) {
      const broker = taskqBroker(url, withState);
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
  taskq: taskq("taskq (RedisBroker)", false),
  // The same, every message's state recorded in Redis: pending, started, success.
  taskqState: taskq("taskq + MessageState", true),

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
