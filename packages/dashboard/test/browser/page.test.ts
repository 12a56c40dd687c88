import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { RedisBroker } from "@taskq/broker-redis";
import { actor, StubBroker, Worker } from "@taskq/core";
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
    const slow = actor(() => new Promise<void>((r) => setTimeout(r, 50)), {
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
    await page.screenshot({ path: `${SCREENSHOTS}queues.png` });
    await worker(b);
    // The page is never reloaded: the numbers change through /api/events only.
    await expect
      .poll(async () => Number(await ready.textContent()), { timeout: 30_000 })
      .toBeLessThan(40);
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
    await page.getByRole("button", { name: "Requeue" }).click();
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
    expect(await page.getByRole("button").count()).toBe(0);
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
      enqueuedAt: 1_700_000_000_000 + i,
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
    expect(await page.locator("pre.state").textContent()).toContain("<img src=x onerror=");
    expect(await page.locator("main img").count()).toBe(0);
    // A deep link loaded directly works too (relative assets and API under the mount path).
    await page.goto(`${s.base}/ops/taskq/messages/msg-4`);
    await expect
      .poll(() => page.locator('[data-field="status"]').textContent(), { timeout: 15_000 })
      .toBe("success");
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.screenshot({ path: `${SCREENSHOTS}message.png` });
  });
});
