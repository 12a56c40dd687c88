import { type AddressInfo, createServer } from "node:net";
import { actor, StubBroker, Worker } from "@taskq/core";
import { captureLogs, waitUntil } from "@taskq/core/testing";
import { freePort } from "@taskq/test-servers";
import { afterEach, describe, expect, test } from "vitest";
import { Prometheus } from "../../src/index.js";
import { parsePrometheusText, value } from "../prom-text.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe("Prometheus middleware in one process", () => {
  test("counts processed, errored, retried and dead-lettered messages, and serves them at /metrics", async () => {
    captureLogs();
    const port = await freePort();
    const broker = new StubBroker();
    const prometheus = new Prometheus({ host: "127.0.0.1", port });
    broker.addMiddleware(prometheus);
    const ok = actor((_n: number) => undefined, { broker, actorName: "ok" });
    actor(
      () => {
        throw new Error("no");
      },
      { broker, actorName: "bad", maxRetries: 1, minBackoff: 1, jitter: false },
    );
    const bulk = actor(() => undefined, {
      broker,
      actorName: "bulk_import_2026_11_21",
      prometheusLabel: "bulk_import",
    });
    const worker = new Worker(broker, { workerTimeout: 50 });
    cleanups.push(() => worker.stop({ timeout: 2000 }));
    await worker.start();
    for (let i = 0; i < 5; i++) await ok.send(i);
    await broker.enqueue(ok.message(0).copy({ actorName: "bad" }));
    await bulk.send();
    await broker.join("default", { failFast: false, timeout: 5000 });

    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const samples = parsePrometheusText(await response.text());
    const q = { queue_name: "default" };
    expect(value(samples, "taskq_messages_total", { ...q, actor_name: "ok" })).toBe(5);
    expect(value(samples, "taskq_messages_total", { ...q, actor_name: "bad" })).toBe(2);
    expect(value(samples, "taskq_message_errors_total", { ...q, actor_name: "bad" })).toBe(2);
    expect(value(samples, "taskq_message_retries_total", { ...q, actor_name: "bad" })).toBe(1);
    expect(value(samples, "taskq_message_rejects_total", { ...q, actor_name: "bad" })).toBe(1);
    expect(value(samples, "taskq_messages_inprogress", { ...q, actor_name: "ok" })).toBe(0);
    expect(
      value(samples, "taskq_message_duration_milliseconds_count", { ...q, actor_name: "ok" }),
    ).toBe(5);
    expect(
      value(samples, "taskq_message_queue_time_milliseconds_count", { ...q, actor_name: "ok" }),
    ).toBe(5);
    // The label override bounds cardinality: the actor's own name does not appear.
    expect(value(samples, "taskq_messages_total", { ...q, actor_name: "bulk_import" })).toBe(1);
    expect(samples.some((s) => s.labels.actor_name === "bulk_import_2026_11_21")).toBe(false);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });

  test("delayed messages held in memory are counted until they move to their queue", async () => {
    captureLogs();
    const broker = new StubBroker();
    const prometheus = new Prometheus({ serve: false });
    broker.addMiddleware(prometheus);
    const later = actor(() => undefined, { broker, actorName: "later" });
    const worker = new Worker(broker, { workerTimeout: 50 });
    cleanups.push(() => worker.stop({ timeout: 2000 }));
    await worker.start();
    await later.sendWithOptions({ delay: 400 });
    const delayed = async () =>
      value(
        parsePrometheusText(await prometheus.registry.metrics()),
        "taskq_delayed_messages_inprogress",
        { actor_name: "later" },
      );
    await waitUntil(async () => (await delayed()) === 1, {
      what: "one delayed message in progress",
    });
    await broker.join("default", { timeout: 5000 });
    expect(await delayed()).toBe(0);
  });

  test("a port already in use is one error line naming it; the worker runs on", async () => {
    const logs = captureLogs();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const port = (taken.address() as AddressInfo).port;
    const broker = new StubBroker();
    broker.addMiddleware(new Prometheus({ host: "127.0.0.1", port }));
    const ok = actor(() => undefined, { broker, actorName: "ok" });
    const worker = new Worker(broker, { workerTimeout: 50 });
    cleanups.push(() => worker.stop({ timeout: 2000 }));
    await worker.start();
    const errors = logs.filter((l) => l.level === "error");
    expect(errors).toEqual([
      {
        level: "error",
        name: "taskq.prometheus",
        msg: `Could not serve metrics at http://127.0.0.1:${port}/metrics: port ${port} is already in use (another taskq, or another program, listens there; set TASKQ_PROM_PORT or the port option to a free one).`,
      },
    ]);
    await ok.send();
    await broker.join("default", { timeout: 5000 });
  });

  test("a wrong label type is refused at declaration", () => {
    const broker = new StubBroker();
    broker.addMiddleware(new Prometheus({ serve: false }));
    expect(() =>
      actor(() => 1, { broker, actorName: "x", prometheusLabel: 3 as unknown as string }),
    ).toThrow(/prometheusLabel of actor x must be a non-empty string/);
  });
});
