// taskq's RabbitmqBroker against raw amqplib doing the same work on the same private
// RabbitMQ node: durable queue, persistent messages, the same confirm window and prefetch.
//   enqueue with confirms: batches of WINDOW messages, each batch confirmed before the next
//   consume + ack: N pre-published messages, decoded and acked with the same prefetch
import { RabbitmqBroker } from "@taskq/broker-rabbitmq";
import { actor, Message, setLogger, Worker } from "@taskq/core";
import { startRabbitmq } from "@taskq/test-servers";
import { connect } from "amqplib";
import { median, quantile, table, writeSummary } from "./lib.mjs";

setLogger({ debug() {}, info() {}, warn: console.warn, error: console.error });

const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 500);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 2000);

const server = await startRabbitmq();
const rate = (r) => `${Math.round(r).toLocaleString("en-US")}/s`;

function body(queue, i) {
  return Buffer.from(new Message({ queueName: queue, actorName: "noop", args: [i] }).encode());
}

async function rawSetup(queue) {
  const model = await connect(server.url);
  const ch = await model.createConfirmChannel();
  const args = { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.XQ` };
  await ch.assertQueue(queue, { durable: true, arguments: args });
  await ch.assertQueue(`${queue}.DQ`, { durable: true, arguments: args });
  await ch.assertQueue(`${queue}.XQ`, {
    durable: true,
    arguments: { "x-message-ttl": { "!": "int", value: 604_800_000 } },
  });
  return { model, ch };
}

async function rawEnqueue(queue) {
  const { model, ch } = await rawSetup(queue);
  const started = performance.now();
  for (let i = 0; i < N; i += WINDOW) {
    for (let j = i; j < Math.min(N, i + WINDOW); j++) {
      if (!ch.sendToQueue(queue, body(queue, j), { persistent: true }))
        await new Promise((r) => ch.once("drain", r));
    }
    await ch.waitForConfirms();
  }
  const seconds = (performance.now() - started) / 1000;
  await ch.purgeQueue(queue);
  await model.close();
  return N / seconds;
}

async function taskqEnqueue(queue) {
  const broker = new RabbitmqBroker({ url: server.url, confirmDelivery: true });
  const noop = actor(() => undefined, { broker, actorName: "noop", queueName: queue });
  await broker.getQueueMessageCounts(queue);
  const started = performance.now();
  for (let i = 0; i < N; i += WINDOW) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + WINDOW); j++) batch.push(noop.message(j));
    await broker.enqueueMany(batch);
  }
  const seconds = (performance.now() - started) / 1000;
  await broker.flush(queue);
  await broker.close();
  return N / seconds;
}

async function fill(queue) {
  const { model, ch } = await rawSetup(queue);
  await ch.purgeQueue(queue);
  for (let i = 0; i < N; i += WINDOW) {
    for (let j = i; j < Math.min(N, i + WINDOW); j++)
      ch.sendToQueue(queue, body(queue, j), { persistent: true });
    await ch.waitForConfirms();
  }
  await model.close();
}

async function rawConsume(queue) {
  await fill(queue);
  const model = await connect(server.url);
  const ch = await model.createChannel();
  await ch.prefetch(PREFETCH);
  let done = 0;
  let first = 0;
  const seconds = await new Promise((resolve) => {
    ch.consume(queue, (msg) => {
      JSON.parse(msg.content.toString());
      if (done === 0) first = performance.now();
      ch.ack(msg);
      if (++done === N) resolve((performance.now() - first) / 1000);
    });
  });
  await model.close();
  return N / seconds;
}

async function taskqConsume(queue) {
  await fill(queue);
  const broker = new RabbitmqBroker({ url: server.url });
  let done = 0;
  let first = 0;
  let finish;
  const finished = new Promise((r) => {
    finish = r;
  });
  actor(
    () => {
      if (done === 0) first = performance.now();
      if (++done === N) finish((performance.now() - first) / 1000);
    },
    { broker, actorName: "noop", queueName: queue },
  );
  const worker = new Worker(broker, {
    concurrency: CONCURRENCY,
    prefetch: PREFETCH,
    workerTimeout: 1000,
  });
  await worker.start();
  const seconds = await finished;
  await worker.stop();
  await broker.close();
  return N / seconds;
}

/** enqueue -> start on an idle worker: one message at a time, each carrying its send time. */
async function taskqLatency(queue) {
  const broker = new RabbitmqBroker({ url: server.url });
  const latencies = [];
  let arrived;
  const noop = actor(
    (sentAt) => {
      latencies.push(performance.now() - sentAt);
      arrived?.();
    },
    { broker, actorName: "noop", queueName: queue },
  );
  const worker = new Worker(broker, { concurrency: CONCURRENCY, workerTimeout: 1000 });
  await worker.start();
  for (let i = 0; i < 200 + LATENCY_SAMPLES; i++) {
    const started = new Promise((r) => {
      arrived = r;
    });
    await noop.send(performance.now());
    await started;
    await new Promise((r) => setTimeout(r, 2));
  }
  await worker.stop();
  await broker.close();
  const samples = latencies.slice(200);
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

try {
  console.log(
    `RabbitMQ ${server.url.replace(/\/\/.*@/, "//")}; ${N.toLocaleString("en-US")} messages, confirm window ${WINDOW}, prefetch ${PREFETCH}, worker concurrency ${CONCURRENCY}, median of ${RUNS} runs, Node ${process.version}\n`,
  );
  const results = { enqueue: { taskq: [], raw: [] }, consume: { taskq: [], raw: [] } };
  for (let run = 0; run < RUNS; run++) {
    results.enqueue.raw.push(await rawEnqueue(`bench_enq_raw_${run}`));
    results.enqueue.taskq.push(await taskqEnqueue(`bench_enq_taskq_${run}`));
    results.consume.raw.push(await rawConsume(`bench_con_raw_${run}`));
    results.consume.taskq.push(await taskqConsume(`bench_con_taskq_${run}`));
  }
  const rows = [["scenario", "raw amqplib", "taskq RabbitmqBroker", "taskq / raw"]];
  for (const [name, label] of [
    ["enqueue", "enqueue, publisher confirms"],
    ["consume", "consume + ack (worker, no-op actor)"],
  ]) {
    const raw = median(results[name].raw);
    const taskq = median(results[name].taskq);
    rows.push([label, rate(raw), rate(taskq), `${((taskq / raw) * 100).toFixed(0)}%`]);
  }
  console.log(table(rows));
  const lat = await taskqLatency("bench_latency");
  console.log(
    `\nenqueue -> start on an idle worker (${LATENCY_SAMPLES} samples): p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms`,
  );
  const enq = { raw: median(results.enqueue.raw), taskq: median(results.enqueue.taskq) };
  const con = { raw: median(results.consume.raw), taskq: median(results.consume.taskq) };
  writeSummary("rabbitmq", [
    {
      scenario: `RabbitMQ enqueue, confirms (window ${WINDOW}), vs raw amqplib`,
      taskq: rate(enq.taskq),
      peer: rate(enq.raw),
      ratio: `${(enq.taskq / enq.raw).toFixed(2)}×`,
      target: "≥ 0.95×",
      met: enq.taskq / enq.raw >= 0.95,
    },
    {
      scenario: `RabbitMQ consume + ack (prefetch ${PREFETCH}) vs raw amqplib`,
      taskq: rate(con.taskq),
      peer: rate(con.raw),
      ratio: `${(con.taskq / con.raw).toFixed(2)}×`,
      target: "≥ 1.2×",
      met: con.taskq / con.raw >= 1.2,
    },
    {
      scenario: "RabbitMQ enqueue → start, idle worker, p50 / p99",
      taskq: `${lat.p50.toFixed(2)} / ${lat.p99.toFixed(2)} ms`,
      peer: "",
      ratio: "",
      target: "p99 ≤ 5 ms",
      met: lat.p99 <= 5,
    },
  ]);
} finally {
  await server.destroy();
}
