import { describe, expect, it } from "vitest";
import { getLogger, serialReader } from "../src/index.js";
import { captureLogs, waitUntil } from "../src/testing/index.js";

describe("serialReader", () => {
  it("never overlaps reads: calls during a read fold into one more read after it", async () => {
    let running = 0;
    let most = 0;
    let reads = 0;
    const reported: number[] = [];
    const read = serialReader(
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return ++reads;
      },
      (n) => reported.push(n),
      getLogger("test"),
      "a value",
    );
    read();
    read();
    read();
    read();
    await waitUntil(() => reported.length === 2, { timeout: 5000, what: "two reads" });
    await new Promise((r) => setTimeout(r, 60));
    expect(most).toBe(1);
    expect(reported).toEqual([1, 2]);
  });

  it("logs a failing read once until a read succeeds again", async () => {
    const lines = captureLogs();
    let fail = true;
    const reported: string[] = [];
    const read = serialReader(
      async () => {
        if (fail) throw new Error("down");
        return "ok";
      },
      (v) => reported.push(v),
      getLogger("test"),
      "the paused queues",
    );
    for (let i = 0; i < 3; i++) {
      read();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(lines.filter((l) => l.msg === "Could not read the paused queues.").length).toBe(1);
    fail = false;
    read();
    await waitUntil(() => reported.length === 1, { timeout: 5000, what: "a read" });
  });
});
