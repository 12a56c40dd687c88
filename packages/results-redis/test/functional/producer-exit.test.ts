import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, inject, test } from "vitest";

const PRODUCER = fileURLToPath(new URL("../fixtures/producer.mjs", import.meta.url));

/** Runs the script; resolves to its exit code, or "still running" after `ms` (then kills it). */
function run(ms: number): Promise<{ code: number | string | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PRODUCER, inject("redisUrl")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => {
      output += c;
    });
    child.stderr.on("data", (c) => {
      output += c;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ code: "still running", output });
    }, ms);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test("a producer with Redis results exits by itself after broker.close()", async () => {
  // Generous: node's start-up on a loaded machine; the script itself takes about 200 ms.
  const { code, output } = await run(20_000);
  expect({ code, output }).toEqual({ code: 0, output: "closed\n" });
});
