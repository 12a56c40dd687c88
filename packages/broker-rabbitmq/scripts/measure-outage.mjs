// How RabbitmqBroker fails when the server is not there, with default options:
//   1. send() and ping() against a port nobody listens on: time until they reject.
//   2. a private node SIGKILLed and started again while producers send: how many sends
//      rejected, and how many messages whose send resolved never reached a consumer.
// Run after building: `pnpm --filter @taskq/broker-rabbitmq build &&
// node packages/broker-rabbitmq/scripts/measure-outage.mjs`. Starts (and removes) its own node.
import { readdirSync, readFileSync } from "node:fs";
import { actor, setLogger, Worker } from "@taskq/core";
import { startRabbitmq } from "@taskq/test-servers";
import { RabbitmqBroker } from "../dist/index.js";

const PRODUCERS = 4;
const BEFORE_MS = 2000;
const AFTER_MS = 3000;

const logged = { warn: 0, error: 0 };
const lines = new Map();
const t0 = performance.now();
const progress = (what) =>
  process.stderr.write(`[${Math.round(performance.now() - t0)} ms] ${what}\n`);
const count = (level) => (a, b) => {
  logged[level]++;
  const text = `${level}: ${(typeof a === "string" ? a : b).replace(/\d+/g, "N")}`;
  lines.set(text, (lines.get(text) ?? 0) + 1);
};
const quiet = () => ({
  debug() {},
  info() {},
  warn: count("warn"),
  error: count("error"),
  child: () => quiet(),
  isLevelEnabled: () => false,
});
setLogger(quiet());

async function timeToFail(what, work) {
  const started = performance.now();
  try {
    await work();
    return `${what}: resolved (?)`;
  } catch (err) {
    const ms = Math.round(performance.now() - started);
    return `${what}: rejected after ${ms} ms with ${err.constructor.name}: ${err.message}`;
  }
}

async function unreachable() {
  const lines = [];
  for (const connectionTimeout of [undefined, 1500]) {
    const label =
      connectionTimeout === undefined
        ? "default options"
        : `connectionTimeout ${connectionTimeout}`;
    const options = {
      url: "amqp://127.0.0.1:1",
      ...(connectionTimeout ? { connectionTimeout } : {}),
    };
    const a = new RabbitmqBroker(options);
    const job = actor(() => undefined, { broker: a, actorName: "job" });
    lines.push(await timeToFail(`send, ${label}`, () => job.send()));
    await a.close();
    const b = new RabbitmqBroker(options);
    lines.push(await timeToFail(`ping, ${label}`, () => b.ping()));
    await b.close();
  }
  const c = new RabbitmqBroker({ url: "amqp://127.0.0.1:1" });
  lines.push(
    await timeToFail("ping({ timeout: 1000 }), default options", () => c.ping({ timeout: 1000 })),
  );
  await c.close();
  return lines;
}

/** The Erlang VM of our own node: the beam process whose environment has its AMQP port. */
function beamPid(port) {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (cmdline.includes("beam.smp") && environ.includes(`RABBITMQ_NODE_PORT=${port}`)) {
        return Number(entry);
      }
    } catch {
      // Gone, or not ours to read.
    }
  }
  throw new Error(`no beam process for the node on port ${port}`);
}

async function killAndRestart() {
  const server = await startRabbitmq();
  try {
    return await measure(server);
  } finally {
    await server.destroy();
  }
}

async function measure(server) {
  logged.warn = 0;
  logged.error = 0;
  lines.clear();
  const queue = `outage_${Date.now()}`;
  const producer = new RabbitmqBroker({ url: server.url });
  const consumerSide = new RabbitmqBroker({ url: server.url });
  const received = new Map();
  const job = actor((n) => received.set(n, (received.get(n) ?? 0) + 1), {
    broker: producer,
    actorName: "job",
    queueName: queue,
  });
  actor((n) => received.set(n, (received.get(n) ?? 0) + 1), {
    broker: consumerSide,
    actorName: "job",
    queueName: queue,
  });
  const worker = new Worker(consumerSide, { concurrency: 8, workerTimeout: 200 });
  await worker.start();

  let next = 0;
  let running = true;
  const resolved = [];
  const rejected = [];
  const errors = new Map();
  const producers = Array.from({ length: PRODUCERS }, async () => {
    while (running) {
      const n = next++;
      try {
        await job.send(n);
        resolved.push(n);
      } catch (err) {
        rejected.push(n);
        const key = `${err.constructor.name}: ${err.message.replace(/\d+ ms/, "N ms")}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  });

  await new Promise((r) => setTimeout(r, BEFORE_MS));
  const sentBefore = next;
  const killedAt = performance.now();
  process.kill(beamPid(server.port), "SIGKILL");
  await new Promise((r) => setTimeout(r, 3000));
  progress("killed; restarting");
  await server.restart();
  progress("restarted");
  const downMs = Math.round(performance.now() - killedAt);
  await new Promise((r) => setTimeout(r, AFTER_MS));
  running = false;
  progress(
    `stopping producers (${next} sends started, ${resolved.length + rejected.length} settled)`,
  );
  const watchdog = setInterval(
    () => progress(`waiting: ${next - resolved.length - rejected.length} sends unsettled`),
    5000,
  );
  await Promise.all(producers);
  clearInterval(watchdog);
  progress("producers done");
  // Let the worker take everything that is there, then give redeliveries a moment.
  const deadline = Date.now() + 60_000;
  while (resolved.some((n) => !received.has(n)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 2000));
  const lost = resolved.filter((n) => !received.has(n));
  const duplicates = [...received.values()].filter((count) => count > 1).length;
  await worker.stop({ timeout: 10_000 });
  await producer.close();
  await consumerSide.close();
  return [
    `node down for ${downMs} ms (SIGKILL, 3 s pause, then start until it answers AMQP)`,
    `sends: ${next} in all (${sentBefore} before the kill), ${resolved.length} resolved, ${rejected.length} rejected`,
    ...[...errors].map(([k, v]) => `  rejected ${v}× ${k}`),
    `lost (send resolved, never consumed): ${lost.length}${lost.length ? ` e.g. ${lost.slice(0, 5).join(", ")}` : ""}`,
    `consumed more than once: ${duplicates}`,
    `log lines during the run: ${logged.warn} warn, ${logged.error} error`,
    ...[...lines].map(([text, n]) => `  ${n}× ${text.slice(0, 160)}`),
  ];
}

if (!process.argv.includes("--outage-only"))
  for (const line of await unreachable()) console.log(line);
for (const line of await killAndRestart()) console.log(line);
