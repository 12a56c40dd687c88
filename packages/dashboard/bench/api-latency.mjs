// Response time of every GET endpoint of the dashboard API with 1,000,000 messages on a queue
// (each with its MessageState record) and 100,000 dead letters (issue 16). Needs a Redis:
// REDIS_URL (default redis://127.0.0.1:6379); it writes under a fresh namespace and deletes
// it after. Run after a build: node bench/api-latency.mjs  (READY, DEAD, STATES, CALLS
// override the sizes and the 20 calls per endpoint).
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { RedisBroker } from "@taskq/broker-redis";
import { Message, MessageState } from "@taskq/core";
import { RedisStateBackend } from "@taskq/state-redis";
import { createDashboard } from "../dist/index.js";

const READY = Number(process.env.READY ?? 1_000_000);
const DEAD = Number(process.env.DEAD ?? 100_000);
const STATES = Number(process.env.STATES ?? READY);
const CALLS = Number(process.env.CALLS ?? 20);
const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const namespace = `bench-${randomUUID()}`;
const broker = new RedisBroker({ url, namespace });
const backend = new RedisStateBackend({ url, namespace });
const states = new MessageState({ backend });
broker.addMiddleware(states);
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
    actorName: i % 2 === 0 ? "job" : "other",
    args: [i, "x".repeat(40)],
    kwargs: {},
    options: {},
  });
const STATUSES = ["pending", "started", "success", "failure"];
const t0 = Date.now();
const ids = [];
await fill(READY, (p, i) => {
  const m = body(i);
  if (i < STATES) ids.push(m.messageId);
  p.hset(k.messages("big"), m.messageId, Buffer.from(m.encode()));
  p.rpush(k.queue("big"), m.messageId);
});
const deadIds = [];
await fill(DEAD, (p, i) => {
  const m = body(i);
  if (i === 0 || i === DEAD - 1) deadIds.push(m.messageId);
  p.zadd(k.dead("big"), Date.now() - DEAD + i, m.messageId);
  p.hset(k.deadMessages("big"), m.messageId, Buffer.from(m.encode()));
});
console.log(`filled ${READY} ready + ${DEAD} dead in ${Date.now() - t0} ms`);

// States go through the backend's own writes (batches of 50, 100 in flight).
const t1 = Date.now();
const now = Date.now();
const update = (id, i) => ({
  messageId: id,
  status: STATUSES[i % 4],
  retries: 0,
  changes: {},
  ttl: 86_400_000,
  initial: {
    messageId: id,
    status: STATUSES[i % 4],
    actorName: i % 2 === 0 ? "job" : "other",
    queueName: "big",
    args: [i],
    kwargs: {},
    options: {},
    priority: 0,
    retries: 0,
    enqueuedAt: now - STATES + i,
  },
});
for (let i = 0; i < ids.length; i += 5000) {
  const writes = [];
  for (let j = i; j < Math.min(ids.length, i + 5000); j += 50)
    writes.push(backend.write(ids.slice(j, j + 50).map((id, n) => update(id, j + n))));
  await Promise.all(writes);
}
console.log(`wrote ${ids.length} message states in ${Date.now() - t1} ms`);

const server = createServer(createDashboard({ broker, states }));
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;

const rows = [];
async function time(path, read = (res) => res.json()) {
  const ms = [];
  let last;
  for (let i = 0; i < CALLS; i++) {
    const s = performance.now();
    const res = await fetch(base + path);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    last = await read(res);
    ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  const q = (f) => ms[Math.min(ms.length - 1, Math.ceil(f * ms.length) - 1)].toFixed(1);
  rows.push(`| \`GET ${path}\` | ${q(0.5)} | ${q(0.99)} |`);
  return last;
}
// The first counts event of the stream, then the client goes.
async function firstEvent(res) {
  const reader = res.body.getReader();
  let text = "";
  while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  return text;
}

const queues = await time("/api/queues");
console.log(JSON.stringify(queues[0]));
const page = await time("/api/queues/big/dead-letters?limit=50");
console.log(`dead-letters total ${page.total}, items ${page.items.length}`);
await time(`/api/queues/big/dead-letters?offset=${DEAD - 500}&limit=500`);
const listed = await time("/api/messages?limit=50");
console.log(`messages total ${listed.total}, items ${listed.items.length}`);
await time(`/api/messages?offset=${Math.floor(ids.length / 2)}&limit=50`);
await time("/api/messages?status=started&limit=50");
await time("/api/messages?actor=job&limit=50");
await time("/api/messages?status=success&actor=job&limit=50");
await time(`/api/messages/${ids[ids.length - 1]}`);
await time("/api/workers");
await time("/api/events", firstEvent);
await time("/", (res) => res.text());
// Requeue by id (a POST, once each): the newest dead letter is found in the first read, the
// oldest only after reading all 100,000 (1,000 per round trip).
for (const [label, id] of [
  ["newest", deadIds[1]],
  ["oldest", deadIds[0]],
]) {
  const s = performance.now();
  const res = await fetch(`${base}/api/queues/big/dead-letters/requeue`, {
    method: "POST",
    headers: { "x-taskq-dashboard": "1", "content-type": "application/json" },
    body: JSON.stringify({ ids: [id] }),
  });
  const answer = await res.json();
  rows.push(
    `| \`POST …/dead-letters/requeue\` \`{ ids: [the ${label}] }\` (once) | ${(performance.now() - s).toFixed(1)} | ${JSON.stringify(answer)} |`,
  );
}
console.log(`\n${CALLS} calls each, ${READY} ready, ${DEAD} dead, ${ids.length} states (ms):\n`);
console.log("| Endpoint | p50 | p99 |\n| --- | --- | --- |");
console.log(rows.join("\n"));

server.close();
await client.del(k.messages("big"), k.queue("big"), k.dead("big"), k.deadMessages("big"));
let cursor = "0";
do {
  const [next, keys] = await client.scan(cursor, "MATCH", `${namespace}:*`, "COUNT", 10_000);
  cursor = next;
  if (keys.length > 0) await client.unlink(...keys);
} while (cursor !== "0");
await backend.close();
await broker.close();
