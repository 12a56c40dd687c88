import { execFile, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import type { StateRecord } from "@taskq/core";
import { afterEach, describe, expect, inject, test } from "vitest";

const run = promisify(execFile);
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

async function node(script: string, ...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, [fixture(script), ...args], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()!();
});

function startWorker(url: string, namespace: string) {
  const child = fork(fixture("worker.mjs"), [url, namespace], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const events: Record<string, unknown>[] = [];
  child.on("message", (m) => events.push(m as Record<string, unknown>));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  stops.push(async () => {
    if (child.exitCode === null) {
      child.send("stop");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      child.kill("SIGKILL");
    }
  });
  return {
    events,
    ready: new Promise<void>((resolve) =>
      child.on("message", (m) => (m as { ready?: boolean }).ready && resolve()),
    ),
  };
}

describe("producer, worker and reader as separate processes", () => {
  test("states and progress cross processes; a cancel from a fourth process interrupts the running message within a second", async () => {
    const url = inject("redisUrl");
    const namespace = `xp-${randomUUID()}`;
    const worker = startWorker(url, namespace);
    await worker.ready;
    const { long, short } = (await node("producer.mjs", url, namespace, "100")) as {
      long: string;
      short: string;
    };
    const quick = (await node(
      "reader.mjs",
      url,
      namespace,
      "wait",
      short,
      "success",
    )) as StateRecord;
    expect(quick).toMatchObject({ status: "success", actorName: "quick", args: [41] });

    await node("reader.mjs", url, namespace, "wait", long, "started");
    // Progress reported by the actor, read by another process while it still runs.
    let running: StateRecord | null = null;
    for (let i = 0; i < 100; i++) {
      running = (await node("reader.mjs", url, namespace, "get", long)) as StateRecord | null;
      if (((running?.progress as { step?: number } | undefined)?.step ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(running).toMatchObject({ status: "started", progress: { of: 100 } });
    expect((running!.progress as { step: number }).step).toBeGreaterThanOrEqual(2);

    const canceled = (await node("reader.mjs", url, namespace, "cancel", long)) as {
      at: number;
      outcomes: unknown[];
    };
    expect(canceled.outcomes).toEqual([
      { messageId: long, outcome: "canceled", status: "started" },
    ]);
    const ended = (await node(
      "reader.mjs",
      url,
      namespace,
      "wait",
      long,
      "canceled",
    )) as StateRecord;
    expect(ended).toMatchObject({ status: "canceled", retries: 0, error: { type: "Canceled" } });
    const abort = worker.events.find((e) => "aborted" in e) as { aborted: number; reason: string };
    expect(abort.reason).toBe("Canceled");
    expect(abort.aborted - canceled.at).toBeLessThan(1000);
    // Not retried: still the first attempt a moment later.
    await new Promise((r) => setTimeout(r, 500));
    expect(((await node("reader.mjs", url, namespace, "get", long)) as StateRecord).retries).toBe(
      0,
    );
    expect(worker.events.filter((e) => "aborted" in e)).toHaveLength(1);
  });
});
