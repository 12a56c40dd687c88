import { actor, StubBroker } from "@taskq/core";
import { afterEach, describe, expect, test } from "vitest";
import { createDashboard } from "../../src/index.js";
import { memoryStates } from "../memory-states.js";
import { type Served, scriptPost, serve } from "../serve.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function dashboard(
  options: Partial<Parameters<typeof createDashboard>[0]> = {},
): Promise<{ broker: StubBroker; s: Served }> {
  const broker = new StubBroker();
  actor(() => undefined, { broker, actorName: "send_email", queueName: "emails" });
  actor(() => undefined, { broker, actorName: "resize", queueName: "images" });
  const s = await serve({ broker, ...options });
  cleanups.push(() => s.close());
  return { broker, s };
}

describe("dashboard API on StubBroker", () => {
  test("GET /api/queues lists each declared queue with its counts and pause flag", async () => {
    const { broker, s } = await dashboard();
    const send = broker.getActor("send_email");
    await send.send();
    await send.sendWithOptions({ delay: 60_000 });
    await broker.pauseQueue("images");
    const res = await s.call("/api/queues");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { name: "emails", ready: 1, delayed: 1, dead: 0, inProgress: 0, paused: false },
      { name: "images", ready: 0, delayed: 0, dead: 0, inProgress: 0, paused: true },
    ]);
  });

  test("pause and resume by POST change the broker's paused queues", async () => {
    const { broker, s } = await dashboard();
    const paused = await s.call("/api/queues/emails/pause", scriptPost());
    expect(paused.status).toBe(200);
    expect(await broker.pausedQueues()).toEqual(["emails"]);
    const resumed = await s.call("/api/queues/emails/resume", scriptPost());
    expect(resumed.status).toBe(200);
    expect(await broker.pausedQueues()).toEqual([]);
  });

  test("unknown paths and queues are 404, a GET on a POST route 405, all as JSON { error, code }", async () => {
    const { s } = await dashboard();
    const unknownPath = await s.call("/api/nope");
    expect(unknownPath.status).toBe(404);
    expect(await unknownPath.json()).toMatchObject({ code: "TASKQ_NOT_FOUND" });
    const unknownQueue = await s.call("/api/queues/nope/pause", scriptPost());
    expect(unknownQueue.status).toBe(404);
    expect(await unknownQueue.json()).toMatchObject({ code: "TASKQ_UNKNOWN_QUEUE" });
    const get = await s.call("/api/queues/emails/pause");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const body = (await get.json()) as { error: unknown; code: unknown };
    expect(typeof body.error).toBe("string");
    expect(body.code).toBe("TASKQ_METHOD_NOT_ALLOWED");
  });

  test("a POST without same-origin proof is refused; same Origin, Referer or the header pass", async () => {
    const { broker, s } = await dashboard();
    const host = new URL(s.base).host;
    const cross = await s.call("/api/queues/emails/pause", {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });
    expect(cross.status).toBe(403);
    expect(await cross.json()).toMatchObject({ code: "TASKQ_CROSS_ORIGIN" });
    const bare = await s.call("/api/queues/emails/pause", { method: "POST" });
    expect(bare.status).toBe(403);
    expect(await broker.pausedQueues()).toEqual([]);

    const byOrigin = await s.call("/api/queues/emails/pause", {
      method: "POST",
      headers: { origin: `http://${host}` },
    });
    expect(byOrigin.status).toBe(200);
    const byReferer = await s.call("/api/queues/images/pause", {
      method: "POST",
      headers: { referer: `http://${host}/queues/images` },
    });
    expect(byReferer.status).toBe(200);
    expect(await broker.pausedQueues()).toEqual(["emails", "images"]);
  });

  test("readOnly refuses every state change with 403 and changes nothing", async () => {
    const { broker, s } = await dashboard({ readOnly: true });
    const res = await s.call("/api/queues/emails/pause", scriptPost());
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "TASKQ_READ_ONLY" });
    expect(await broker.pausedQueues()).toEqual([]);
    expect((await s.call("/api/queues")).status).toBe(200);
  });

  test("basic auth: 401 with a challenge without credentials, a password holding ':' is accepted", async () => {
    const { s } = await dashboard({ auth: { username: "ops", password: "a:b:c" } });
    const anon = await s.call("/api/queues");
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    const wrong = await s.call("/api/queues", {
      headers: { authorization: `Basic ${Buffer.from("ops:a:b").toString("base64")}` },
    });
    expect(wrong.status).toBe(401);
    const ok = await s.call("/api/queues", {
      headers: { authorization: `Basic ${Buffer.from("ops:a:b:c").toString("base64")}` },
    });
    expect(ok.status).toBe(200);
    const events = await s.call("/api/events");
    expect(events.status).toBe(401);
  });

  test("predicate auth: false answers 403, true lets the request through", async () => {
    const { s } = await dashboard({ auth: (req) => req.headers["x-user"] === "admin" });
    expect((await s.call("/api/queues")).status).toBe(403);
    expect((await s.call("/api/queues", { headers: { "x-user": "admin" } })).status).toBe(200);
  });

  test("mountPath is stripped when present and a URL already stripped is taken as is", async () => {
    const { s } = await dashboard({ mountPath: "/taskq/" });
    expect((await s.call("/taskq/api/queues")).status).toBe(200);
    expect((await s.call("/api/queues")).status).toBe(200);
  });

  test("without states or a scheduler the API says 'not configured' (501), not a crash", async () => {
    const { s } = await dashboard();
    for (const path of ["/api/messages", "/api/messages/abc", "/api/schedules"]) {
      const res = await s.call(path);
      expect(res.status).toBe(501);
      expect(await res.json()).toMatchObject({ code: "TASKQ_NOT_CONFIGURED" });
    }
  });

  test("GET /api/messages filters (ANDed), pages, counts the total regardless of paging; :id 404s when unknown", async () => {
    const all = Array.from({ length: 7 }, (_, i) => ({
      messageId: `m${i}`,
      status: i % 2 === 0 ? "success" : "failure",
      actorName: i < 4 ? "send_email" : "resize",
      queueName: i < 4 ? "emails" : "images",
    }));
    const { s } = await dashboard({ states: memoryStates(all) });
    const res = await s.call("/api/messages?status=success&actor=send_email&limit=1&offset=1");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ total: 2, items: [all[2]] });
    const one = await s.call("/api/messages/m3");
    expect(await one.json()).toEqual(all[3]);
    const missing = await s.call("/api/messages/zzz");
    expect(missing.status).toBe(404);
    const bad = await s.call("/api/messages?status=done");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("status must be one of");
    expect((await s.call("/api/messages?limit=100000")).status).toBe(400);
  });

  test("/api/events streams a counts event as JSON", async () => {
    const { s } = await dashboard();
    const controller = new AbortController();
    const res = await s.call("/api/events", { signal: controller.signal });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const [event, data] = text.split("\n");
    expect(event).toBe("event: counts");
    expect(JSON.parse(data!.slice("data: ".length))).toEqual({
      queues: [
        { name: "emails", ready: 0, delayed: 0, dead: 0, inProgress: 0, paused: false },
        { name: "images", ready: 0, delayed: 0, dead: 0, inProgress: 0, paused: false },
      ],
    });
  });

  test("bad options throw InvalidArgument naming the option", () => {
    const broker = new StubBroker();
    expect(() => createDashboard({ broker, readOnly: "yes" as unknown as boolean })).toThrow(
      /readOnly/,
    );
    expect(() =>
      createDashboard({
        broker,
        auth: { username: "x" } as unknown as { username: string; password: string },
      }),
    ).toThrow(/auth/);
    expect(() => createDashboard({ broker, mountPath: "taskq" })).toThrow(/mountPath/);
  });
});
