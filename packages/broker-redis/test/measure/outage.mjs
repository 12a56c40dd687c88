// Measures how RedisBroker behaves when Redis is unreachable, dies, or restarts, with the
// built package (`pnpm --filter @taskq/broker-redis build` first):
//
//   node packages/broker-redis/test/measure/outage.mjs [scenario...]
//
// Scenarios: unreachable (send/ping against a port nothing listens on), killed (send/ping
// after the server was killed), restart (producers keep sending while Redis is killed and
// restarted ~3 s later: sends failed, confirmed messages lost, messages stored twice),
// drops (producers keep sending while the server drops every client connection once a
// second, CLIENT KILL: replies to commands Redis ran are lost with the connection).
// MEASURE_CAP_MS (default 150000) caps how long one failing call is waited for;
// MEASURE_PRODUCERS (default 4) sets how many producers send concurrently in `restart`;
// MEASURE_DIST (default ../../dist/index.js) picks the build to measure.
import { randomUUID } from "node:crypto";
import { actor, setLogger } from "@taskq/core";
import { freePort, startRedis } from "@taskq/test-servers";

const { RedisBroker } = await import(process.env.MEASURE_DIST ?? "../../dist/index.js");

const CAP = Number(process.env.MEASURE_CAP_MS ?? 150_000);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
setLogger(quiet);

/** Time until `run` settles (capped): [ms, "resolved" | error name]. */
async function timed(run) {
  const start = performance.now();
  let timer;
  const cap = new Promise((resolve) => {
    timer = setTimeout(() => resolve(`still pending after ${CAP} ms`), CAP);
  });
  const outcome = await Promise.race([
    run().then(
      () => "resolved",
      (err) => `${err?.name}: ${String(err?.message).slice(0, 140)}`,
    ),
    cap,
  ]);
  clearTimeout(timer);
  return [Math.round(performance.now() - start), outcome];
}

function print(what, [ms, outcome]) {
  console.log(`${what.padEnd(34)} ${String(ms).padStart(7)} ms  ${outcome}`);
}

async function unreachable() {
  const port = await freePort();
  const b = new RedisBroker({ url: `redis://127.0.0.1:${port}`, namespace: randomUUID() });
  const job = actor(() => {}, { broker: b, actorName: "job" });
  const [send, ping] = await Promise.all([timed(() => job.send()), timed(() => b.ping())]);
  print("unreachable: send()", send);
  print("unreachable: ping()", ping);
  await b.close();
}

async function killed() {
  const server = await startRedis();
  const b = new RedisBroker({ url: server.url, namespace: randomUUID() });
  const job = actor(() => {}, { broker: b, actorName: "job" });
  await job.send();
  await server.crash();
  const [send, ping] = await Promise.all([timed(() => job.send()), timed(() => b.ping())]);
  print("killed mid-run: send()", send);
  print("killed mid-run: ping()", ping);
  await b.close();
  await server.stop();
}

/** Producers send for RUN_MS while `disturb(server)` runs; then count what Redis holds. */
async function produceThrough(what, disturb) {
  const server = await startRedis({ durable: true });
  const namespace = randomUUID();
  const b = new RedisBroker({ url: server.url, namespace });
  const job = actor((_n) => {}, { broker: b, actorName: "job" });
  const PRODUCERS = Number(process.env.MEASURE_PRODUCERS ?? 4);
  const RUN_MS = 12_000;
  const confirmed = new Set();
  let attempted = 0;
  let failed = 0;
  let next = 0;
  const errors = new Map();
  let longest = 0;
  const start = Date.now();
  const producers = Array.from({ length: PRODUCERS }, async () => {
    while (Date.now() - start < RUN_MS) {
      const n = next++;
      attempted++;
      const t0 = Date.now();
      try {
        await job.send(n);
        confirmed.add(n);
      } catch (err) {
        failed++;
        const key = `${err?.name}: ${String(err?.message)
          .replace(/message [0-9a-f-]+/, "message …")
          .slice(0, 160)}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
      longest = Math.max(longest, Date.now() - t0);
      await new Promise((r) => setTimeout(r, 2));
    }
  });
  await disturb(server);
  await Promise.all(producers);

  const check = new RedisBroker({ url: server.url, namespace });
  const ids = await check.client.lrange(check.keys.queue("default"), 0, -1);
  const stored = await check.client.hgetall(check.keys.messages("default"));
  const seen = new Map();
  for (const id of ids) {
    const data = stored[id];
    if (data === undefined) continue;
    const n = JSON.parse(data).args[0];
    seen.set(n, (seen.get(n) ?? 0) + 1);
  }
  const lost = [...confirmed].filter((n) => !seen.has(n)).length;
  const twice = [...seen.values()].filter((c) => c > 1).length;
  const unconfirmedStored = [...seen.keys()].filter((n) => !confirmed.has(n)).length;
  console.log(
    `${what} (${PRODUCERS} producers): ${attempted} sends, ${failed} failed, ${confirmed.size} confirmed; ` +
      `lost ${lost}, queued twice ${twice}, stored though failed ${unconfirmedStored}; ` +
      `longest send ${longest} ms`,
  );
  for (const [e, count] of errors) console.log(`  ${count} × ${e}`);
  await check.close();
  await b.close();
  await server.stop();
}

function restart() {
  return produceThrough("restart", async (server) => {
    await new Promise((r) => setTimeout(r, 3000));
    await server.crash();
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    await server.restart();
    console.log(`restart: Redis down for ${Date.now() - killedAt} ms`);
  });
}

function drops() {
  return produceThrough("drops", async (server) => {
    const { Redis } = await import("ioredis");
    const admin = new Redis(server.url);
    let killed = 0;
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      killed += await admin.client("KILL", "TYPE", "normal", "SKIPME", "yes");
    }
    console.log(`drops: ${killed} connections dropped in 10 rounds`);
    admin.disconnect();
  });
}

const all = { unreachable, killed, restart, drops };
const chosen = process.argv.slice(2);
for (const name of chosen.length > 0 ? chosen : Object.keys(all)) await all[name]();
process.exit(0);
