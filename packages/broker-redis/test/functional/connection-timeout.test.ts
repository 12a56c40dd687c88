import { randomUUID } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { actor, ConnectionClosed, ConnectionFailed } from "@taskq/core";
import type { RedisServer } from "@taskq/test-servers";
import { freePort, startRedis } from "@taskq/test-servers";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { RedisBrokerOptions } from "../../src/index.js";
import { RedisBroker } from "../../src/index.js";
import { captureLogs, eventually, sleep } from "../helpers.js";

// A durable server of its own (AOF, fsync always), since these tests kill and restart it.
let server: RedisServer;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedis({ durable: true });
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function broker(options: RedisBrokerOptions): RedisBroker {
  const b = new RedisBroker({ namespace: `timeout-${randomUUID()}`, ...options });
  cleanups.push(() => b.close());
  return b;
}

/** How long `run` took to settle, and how it settled. */
async function timed(run: () => Promise<unknown>): Promise<[number, unknown]> {
  const start = performance.now();
  const outcome = await run().then(
    () => "resolved",
    (err: unknown) => err,
  );
  return [performance.now() - start, outcome];
}

/** Until the broker's client has seen the crash: from then on, commands wait for the connection. */
async function noticed(b: RedisBroker): Promise<void> {
  await eventually(() => b.client.status !== "ready", 5000, "the client to see the crash");
}

let down = false;

async function crash(): Promise<void> {
  down = true;
  await server.crash();
}

async function restart(): Promise<void> {
  await server.restart();
  down = false;
}

afterEach(async () => {
  if (down) await restart();
});

describe("RedisBroker connectionTimeout", () => {
  test("send() and ping() against a port nothing listens on fail after connectionTimeout with ConnectionFailed naming the address", async () => {
    const port = await freePort();
    const b = broker({ url: `redis://127.0.0.1:${port}`, connectionTimeout: 1000 });
    const job = actor(() => undefined, { broker: b, actorName: "job" });
    const [[sendMs, sendError], [pingMs, pingError]] = await Promise.all([
      timed(() => job.send()),
      timed(() => b.ping()),
    ]);
    for (const [ms, error] of [
      [sendMs, sendError],
      [pingMs, pingError],
    ] as const) {
      expect(error).toBeInstanceOf(ConnectionFailed);
      expect((error as Error).message).toContain(`Redis at 127.0.0.1:${port}`);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(5000);
    }
    expect((sendError as Error).message).toMatch(/^Could not enqueue message .* on default/);
  });

  test("the default connectionTimeout is 10 s, as RabbitmqBroker's", async () => {
    const port = await freePort();
    const b = broker({ url: `redis://127.0.0.1:${port}` });
    expect(b.connectionTimeout).toBe(10_000);
    const [ms, error] = await timed(() => b.ping());
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect(ms).toBeGreaterThanOrEqual(9900);
    expect(ms).toBeLessThan(15_000);
  });

  test("ping({ timeout }) rejects within its timeout, even when the server accepts the connection and never answers", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const port = (silent.address() as { port: number }).port;
    const b = broker({ url: `redis://127.0.0.1:${port}`, connectionTimeout: 30_000 });
    const [ms, error] = await timed(() => b.ping({ timeout: 300 }));
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toContain(`Redis at 127.0.0.1:${port}`);
    expect(ms).toBeLessThan(2000);
  });

  test("send() and ping() against a Redis killed mid-run fail after connectionTimeout with ConnectionClosed", async () => {
    const b = broker({ url: server.url, connectionTimeout: 1000 });
    const job = actor(() => undefined, { broker: b, actorName: "job" });
    await job.send();
    await crash();
    await noticed(b);
    const [[sendMs, sendError], [pingMs, pingError]] = await Promise.all([
      timed(() => job.send()),
      timed(() => b.ping()),
    ]);
    for (const [ms, error] of [
      [sendMs, sendError],
      [pingMs, pingError],
    ] as const) {
      expect(error).toBeInstanceOf(ConnectionClosed);
      expect((error as Error).message).toContain(`Redis at 127.0.0.1:${server.port}`);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(5000);
    }
  });

  test("a send that timed out during an outage is not sent later, when Redis is back", async () => {
    const b = broker({ url: server.url, connectionTimeout: 500 });
    const job = actor((_n: number) => undefined, { broker: b, actorName: "job" });
    await job.send(1);
    await crash();
    await noticed(b);
    const error = await job.send(2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosed);
    await restart();
    await b.ping({ timeout: 10_000 });
    await sleep(500);
    const stored = await b.client.hvals(b.keys.messages("default"));
    expect(stored.map((data) => JSON.parse(data).args[0])).toEqual([1]);
    expect(await b.client.llen(b.keys.queue("default"))).toBe(1);
  });

  test("a restart shorter than connectionTimeout: sends made during the outage wait for it and are stored once each", async () => {
    const b = broker({ url: server.url, connectionTimeout: 10_000 });
    const job = actor((_n: number) => undefined, { broker: b, actorName: "job" });
    await job.send(0);
    await crash();
    await noticed(b);
    const started = Date.now();
    const sends = Array.from({ length: 50 }, (_, i) => job.send(i + 1));
    await sleep(2000);
    await restart();
    const outcomes = await Promise.allSettled(sends);
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const ids = await b.client.lrange(b.keys.queue("default"), 0, -1);
    expect(new Set(ids).size).toBe(ids.length);
    const stored = await b.client.hvals(b.keys.messages("default"));
    const numbers = stored.map((data) => JSON.parse(data).args[0] as number).sort((x, y) => x - y);
    expect(numbers).toEqual(Array.from({ length: 51 }, (_, i) => i));
  });

  test("connections dropped under many concurrent sends: every send resolves, and each message is stored once", async () => {
    const b = broker({ url: server.url });
    const job = actor((_n: number) => undefined, { broker: b, actorName: "job" });
    const admin = new Redis(server.url);
    cleanups.push(async () => admin.disconnect());
    let next = 0;
    let running = true;
    const failures: unknown[] = [];
    const producers = Array.from({ length: 50 }, async () => {
      while (running) {
        await job.send(next++).catch((err: unknown) => failures.push(err));
      }
    });
    let dropped = 0;
    for (let round = 0; round < 5; round++) {
      await sleep(400);
      dropped += Number(await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"));
    }
    running = false;
    await Promise.all(producers);
    expect(dropped).toBeGreaterThanOrEqual(5);
    expect(failures).toEqual([]);
    const ids = await admin.lrange(b.keys.queue("default"), 0, -1);
    expect(new Set(ids).size).toBe(ids.length);
    const stored = await admin.hvals(b.keys.messages("default"));
    const numbers = stored.map((data) => JSON.parse(data).args[0] as number).sort((x, y) => x - y);
    expect(numbers).toEqual(Array.from({ length: next }, (_, i) => i));
  });
});
