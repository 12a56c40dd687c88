import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { RedisBroker } from "@taskq/broker-redis";
import {
  actor,
  Cancel,
  cancel,
  MessageState,
  StubBroker,
  StubCancelBackend,
  StubStateBackend,
  Worker,
} from "@taskq/core";
import { captureLogs } from "@taskq/core/testing";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, test } from "vitest";
import { memoryStates } from "../memory-states.js";
import { type Served, serve } from "../serve.js";

// Debian's chromium (scripts/ensure-servers.sh installs it), driven by playwright-core.
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = fileURLToPath(new URL("../../screenshots/", import.meta.url));

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  captureLogs();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function redisBroker(): RedisBroker {
  const b = new RedisBroker({ url: inject("redisUrl"), namespace: `dash-ui-${randomUUID()}` });
  cleanups.push(async () => {
    await b.flushAll();
    await b.close();
  });
  return b;
}

async function open(s: Served, path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 600 } });
  cleanups.push(() => page.close());
  await page.goto(`${s.base}${path}`);
  return page;
}

async function worker(b: RedisBroker): Promise<Worker> {
  const w = new Worker(b, { workerTimeout: 100, concurrency: 2 });
  await w.start();
  cleanups.push(() => w.stop());
  return w;
}

describe("dashboard page in headless Chromium", () => {
  test("queue counts move live (SSE) while a worker drains the queue; screenshot", async () => {
    const b = redisBroker();
    const slow = actor(() => new Promise<void>((r) => setTimeout(r, 150)), {
      broker: b,
      actorName: "slow",
      queueName: "emails",
    });
    actor(() => undefined, { broker: b, actorName: "thumb", queueName: "images" });
    for (let i = 0; i < 40; i++) await slow.send();
    const s = await serve({ broker: b, mountPath: "/taskq" });
    cleanups.push(() => s.close());
    const page = await open(s, "/taskq/");
    const ready = page.locator('tr[data-queue="emails"] td[data-count="ready"]');
    await expect.poll(() => ready.textContent(), { timeout: 15_000 }).toBe("40");
    await worker(b);
    // The page is never reloaded: the numbers change through /api/events only.
    await expect
      .poll(async () => Number(await ready.textContent()), { timeout: 30_000 })
      .toBeLessThan(16);
    // Mid-drain, with a few throughput points in the sparkline.
    await page.screenshot({ path: `${SCREENSHOTS}queues.png` });
    await expect.poll(() => ready.textContent(), { timeout: 30_000 }).toBe("0");
    // Pause goes through the browser's same-origin POST (Origin header, no script header).
    await page.locator('tr[data-queue="emails"]').getByRole("button", { name: "Pause" }).click();
    await expect.poll(() => b.pausedQueues(), { timeout: 15_000 }).toEqual(["emails"]);
    await expect
      .poll(() => page.getByRole("button", { name: "Resume" }).count(), { timeout: 15_000 })
      .toBe(1);
  });

  test("a dead letter's <script> arg shows as text, and Requeue (confirmed) puts it back", async () => {
    const b = redisBroker();
    const fail = actor(
      (_label: string) => {
        throw new Error("boom");
      },
      { broker: b, actorName: "fail", queueName: "jobs", maxRetries: 0 },
    );
    await fail.send("<script>window.__pwned = 1</script><b>bold</b>");
    const w = new Worker(b, { workerTimeout: 100 });
    await w.start();
    await b.join("jobs", { timeout: 30_000 });
    await w.stop();

    const s = await serve({ broker: b });
    cleanups.push(() => s.close());
    const page = await open(s, "/dead-letters/jobs");
    const args = page.locator("code.args");
    await expect.poll(() => args.textContent(), { timeout: 15_000 }).toContain("<script>");
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("main b").count()).toBe(0);
    await page.screenshot({ path: `${SCREENSHOTS}dead-letters.png` });

    let asked = "";
    page.once("dialog", (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.getByRole("button", { name: "Requeue all" }).click();
    await expect
      .poll(() => page.getByRole("status").textContent(), { timeout: 15_000 })
      .toBe("Requeued 1 message(s).");
    expect(asked).toContain("Requeue every dead letter of jobs");
    expect(await b.getQueueMessageCounts("jobs")).toMatchObject({ ready: 1, dead: 0 });
  });

  test("readOnly shows no action buttons; an unconfigured part says so", async () => {
    const b = redisBroker();
    b.declareQueue("jobs");
    const s = await serve({ broker: b, readOnly: true });
    cleanups.push(() => s.close());
    const page = await open(s, "/");
    await expect
      .poll(() => page.locator('tr[data-queue="jobs"]').count(), { timeout: 15_000 })
      .toBe(1);
    expect(await page.locator("main").getByRole("button").count()).toBe(0);
    await page.getByRole("link", { name: "Schedules" }).click();
    await expect
      .poll(() => page.getByRole("status").textContent(), { timeout: 15_000 })
      .toContain("Not configured");
  });

  test("messages filter by status and a message's detail opens from its link", async () => {
    const broker = new StubBroker();
    broker.declareQueue("emails");
    const states = Array.from({ length: 6 }, (_, i) => ({
      messageId: `msg-${i}`,
      status: i < 2 ? "failure" : "success",
      actorName: "send_email",
      queueName: "emails",
      args: [`<img src=x onerror="globalThis.__pwned=1">${i}`],
      kwargs: {},
      options: { max_retries: 3 },
      retries: 0,
      enqueuedAt: 1_700_000_000_000 + i,
      startedAt: 1_700_000_001_000 + i,
      ...(i >= 4 ? { compositionId: "group-1", progress: 0.5 } : {}),
    }));
    const s = await serve({ broker, states: memoryStates(states), mountPath: "/ops/taskq" });
    cleanups.push(() => s.close());
    const page = await open(s, "/ops/taskq/messages");
    await expect
      .poll(() => page.getByRole("status").textContent(), { timeout: 15_000 })
      .toBe("6 message(s)");
    await page.getByLabel("Status").selectOption("failure");
    await expect
      .poll(() => page.getByRole("status").textContent(), { timeout: 15_000 })
      .toBe("2 message(s)");
    expect(await page.locator("tr[data-message]").count()).toBe(2);
    await page.getByRole("link", { name: "msg-1" }).click();
    await expect
      .poll(() => page.locator('[data-field="status"]').textContent(), { timeout: 15_000 })
      .toBe("failure");
    expect(new URL(page.url()).pathname).toBe("/ops/taskq/messages/msg-1");
    expect(await page.locator("pre.args").textContent()).toContain("<img src=x onerror=");
    expect(await page.locator("main img").count()).toBe(0);
    // A deep link loaded directly works too (relative assets and API under the mount path).
    await page.goto(`${s.base}/ops/taskq/messages/msg-4`);
    await expect
      .poll(() => page.locator('[data-field="status"]').textContent(), { timeout: 15_000 })
      .toBe("success");
    // Its progress bar and the other member of its group, linked.
    expect(await page.getByRole("progressbar", { name: "Progress" }).getAttribute("value")).toBe(
      "0.5",
    );
    await expect.poll(() => page.locator("[data-member]").count(), { timeout: 15_000 }).toBe(2);
    expect(await page.getByRole("link", { name: "msg-5" }).count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.screenshot({ path: `${SCREENSHOTS}message.png` });
  });

  test("Cancel (confirmed) from a message row; a detail page follows a cancel live (SSE)", async () => {
    const b = redisBroker();
    const states = new MessageState({ backend: new StubStateBackend() });
    const canceler = new Cancel({ backend: new StubCancelBackend() });
    b.addMiddleware(states);
    b.addMiddleware(canceler);
    const send = actor((_to: string) => undefined, {
      broker: b,
      actorName: "send_email",
      queueName: "emails",
    });
    // No worker runs: both stay pending until canceled.
    const first = await send.send("a@example.com");
    const second = await send.send("b@example.com");
    const s = await serve({ broker: b, states, cancel: canceler });
    cleanups.push(() => s.close());
    const page = await open(s, "/messages");
    const row = page.locator(`tr[data-message="${first.messageId}"]`);
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    let asked = "";
    page.once("dialog", (d) => {
      asked = d.message();
      void d.accept();
    });
    await row.getByRole("button", { name: "Cancel" }).click();
    await expect
      .poll(() => row.locator('[data-field="status"]').textContent(), { timeout: 15_000 })
      .toBe("canceled");
    expect(asked).toBe(`Cancel message ${first.messageId}?`);
    expect((await states.get(first.messageId))?.status).toBe("canceled");
    expect(await row.getByRole("button", { name: "Cancel" }).count()).toBe(0);

    await page.goto(`${s.base}/messages/${second.messageId}`);
    const status = page.locator('[data-field="status"]');
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toBe("pending");
    // Give the event stream a poll to learn the status, then cancel from outside the page.
    await new Promise((r) => setTimeout(r, 1500));
    await cancel([second.messageId], { broker: b });
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toBe("canceled");
  });

  test("Requeue one dead letter by id from its row; the other stays dead", async () => {
    const b = redisBroker();
    const fail = actor(
      (_n: number) => {
        throw new Error("boom");
      },
      { broker: b, actorName: "fail", queueName: "jobs", maxRetries: 0 },
    );
    const one = await fail.send(1);
    const two = await fail.send(2);
    const w = new Worker(b, { workerTimeout: 100 });
    await w.start();
    await b.join("jobs", { timeout: 30_000 });
    await w.stop();
    const s = await serve({ broker: b });
    cleanups.push(() => s.close());
    const page = await open(s, "/dead-letters/jobs");
    const row = page.locator(`tr[data-dead="${two.messageId}"]`);
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Requeue", exact: true }).click();
    await expect
      .poll(() => page.getByRole("status").textContent(), { timeout: 15_000 })
      .toBe("Requeued 1 message(s).");
    expect(await b.getQueueMessageCounts("jobs")).toMatchObject({ ready: 1, dead: 1 });
    const left = await b.getDeadLetters("jobs");
    expect(left.map((d) => d.message?.messageId)).toEqual([one.messageId]);
    await expect.poll(() => page.locator("tr[data-dead]").count(), { timeout: 15_000 }).toBe(1);
  });

  test("search by message id opens its detail", async () => {
    const broker = new StubBroker();
    broker.declareQueue("emails");
    const states = [
      { messageId: "abc-123", status: "started", actorName: "send_email", queueName: "emails" },
    ];
    const s = await serve({ broker, states: memoryStates(states) });
    cleanups.push(() => s.close());
    const page = await open(s, "/");
    await page.getByLabel("Message id").fill("abc-123");
    await page.getByRole("button", { name: "Find" }).click();
    await expect
      .poll(() => page.locator('[data-field="status"]').textContent(), { timeout: 15_000 })
      .toBe("started");
    expect(new URL(page.url()).pathname).toBe("/messages/abc-123");
    // Started, but the dashboard has no Cancel middleware: no button that could only fail.
    expect(await page.getByRole("button", { name: "Cancel" }).count()).toBe(0);
    await page.getByLabel("Message id").fill("nope");
    await page.getByRole("button", { name: "Find" }).click();
    await expect
      .poll(() => page.getByRole("status").textContent(), { timeout: 15_000 })
      .toContain("No message with id nope");
  });

  test("Workers view lists live workers with their queues; a broker without heartbeats says so", async () => {
    const b = redisBroker();
    const job = actor(() => undefined, { broker: b, actorName: "job", queueName: "jobs" });
    await job.send();
    await worker(b);
    await b.join("jobs", { timeout: 30_000 });
    const s = await serve({ broker: b });
    cleanups.push(() => s.close());
    const page = await open(s, "/");
    await page.getByRole("link", { name: "Workers" }).click();
    const row = page.locator(`tr[data-worker="${b.brokerId}"]`);
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    expect(await row.locator("td").nth(2).textContent()).toBe("jobs");
    await page.screenshot({ path: `${SCREENSHOTS}workers.png` });

    const stub = await serve({ broker: new StubBroker() });
    cleanups.push(() => stub.close());
    const other = await open(stub, "/workers");
    await expect
      .poll(() => other.getByRole("status").textContent(), { timeout: 15_000 })
      .toContain("Not available on this broker");
  });
});
