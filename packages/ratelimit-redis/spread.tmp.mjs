import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Barrier } from "@taskq/core";
import { startRedis } from "@taskq/test-servers";
import { RedisRateLimiterBackend } from "@taskq/ratelimit-redis";
const server = await startRedis();
const spreads = [];
for (let run = 0; run < 5; run++) {
  const namespace = `rl-${randomUUID()}`, key = `b-${randomUUID()}`;
  const b = new RedisRateLimiterBackend({ url: server.url, namespace });
  await new Barrier(b, key, { ttl: 60000 }).create(8); await b.close();
  const kids = Array.from({ length: 8 }, () => fork("/work/main/packages/ratelimit-redis/test/fixtures/party.mjs", ["barrier", server.url, namespace, key], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  const reps = kids.map((k) => new Promise((r) => k.on("message", (m) => { if (!m.ready) r(m); })));
  await Promise.all(kids.map((k) => new Promise((r) => k.once("message", r))));
  for (const k of kids) k.send("go");
  const times = (await Promise.all(reps)).map((m) => m.at);
  spreads.push((Math.max(...times) - Math.min(...times)).toFixed(1));
}
console.log("barrier release spread over 5 runs (ms):", spreads.join(", "));
await server.stop();
