// Response time of the dashboard API with 1,000,000 messages on a queue and 100,000 dead
// letters (issue 16). Needs a Redis: REDIS_URL (default redis://127.0.0.1:6379); it writes
// under a fresh namespace and deletes it after. Run: node bench/api-latency.mjs (after a build).
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { RedisBroker } from "@taskq/broker-redis";
import { Message } from "@taskq/core";
import { createDashboard } from "../dist/index.js";

const READY = Number(process.env.READY ?? 1_000_000);
const DEAD = Number(process.env.DEAD ?? 100_000);
const RUNS = 50;
const broker = new RedisBroker({
  url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  namespace: `bench-${randomUUID()}`,
});
broker.declareQueue("big");
const k = broker.keys;
const client = broker.client;

// Written straight in the broker's layout, in pipelined chunks: enqueueing 1M messages one
// by one would take minutes and measure nothing about the dashboard.
async function fill(n, write) {
  for (let i = 0; i < n; i += 10_000) {
    const p = client.pipeline();
    for (let j = i; j < Math.min(n, i + 10_000); j++) write(p, j);
    await p.exec();
  }
}
const body = (i) =>
  new Message({
    queueName: "big",
    actorName: "job",
    args: [i, "x".repeat(40)],
    kwargs: {},
    options: {},
  });
const t0 = Date.now();
await fill(READY, (p, i) => {
  const m = body(i);
  p.hset(k.messages("big"), m.messageId, Buffer.from(m.encode()));
  p.rpush(k.queue("big"), m.messageId);
});
await fill(DEAD, (p, i) => {
  const m = body(i);
  p.zadd(k.dead("big"), Date.now(), m.messageId);
  p.hset(k.deadMessages("big"), m.messageId, Buffer.from(m.encode()));
});
console.log(`filled ${READY} ready + ${DEAD} dead in ${Date.now() - t0} ms`);

const server = createServer(createDashboard({ broker }));
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;

async function time(path) {
  const ms = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    const res = await fetch(base + path);
    last = await res.json();
    ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  const q = (f) => ms[Math.min(ms.length - 1, Math.floor(f * ms.length))].toFixed(1);
  console.log(`${path}: median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms`);
  return last;
}
console.log(JSON.stringify((await time("/api/queues"))[0]));
const page = await time("/api/queues/big/dead-letters?limit=50");
console.log(`dead-letters total ${page.total}, items ${page.items.length}`);
await time("/api/queues/big/dead-letters?offset=10000&limit=500");
server.close();
await client.del(k.messages("big"), k.queue("big"), k.dead("big"), k.deadMessages("big"));
await broker.close();
