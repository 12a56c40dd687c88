import { describe, expect, test } from "vitest";
import { Deadlines } from "../src/middleware/deadlines.js";
import { sleep } from "./helpers.js";

describe("Deadlines (TimeLimit's timer queue)", () => {
  test("expires what is not cancelled, in time, once", async () => {
    const expired: string[] = [];
    const d = new Deadlines<string>((item, ms) => expired.push(`${item}@${ms}`));
    d.add(50, "a");
    const b = d.add(50, "b");
    d.add(20, "c");
    d.cancel(b);
    await sleep(120);
    expect(expired).toEqual(["c@20", "a@50"]);
  });

  test("holds no memory for cancelled deadlines, even behind a long-pending one", () => {
    const d = new Deadlines<number>(() => undefined);
    d.add(600_000, -1); // a long-running message at the head
    for (let i = 0; i < 100_000; i++) d.cancel(d.add(600_000, i));
    expect(d.size).toBeLessThan(2 * 1024 + 2);
    for (let i = 0; i < 10_000; i++) d.cancel(d.add(50, i));
    expect(d.size).toBeLessThan(2 * 1024 + 2);
  });
});
