import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { LogThrottle } from "../../src/log-throttle.js";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

test("a burst of lines per window goes out; the rest are counted in one line when the window ends", () => {
  const out: string[] = [];
  const throttle = new LogThrottle(2, 5000, (line) => out.push(line));
  for (let i = 0; i < 1000; i++) throttle.log(() => `line ${i}`);
  expect(out).toEqual(["line 0", "line 1"]);
  vi.advanceTimersByTime(5000);
  expect(out).toEqual([
    "line 0",
    "line 1",
    "... and 998 more like it in 5 s (not shown one by one).",
  ]);
  throttle.log(() => "later");
  expect(out.at(-1)).toBe("later");
});

test("lines held back are not built at all", () => {
  const throttle = new LogThrottle(1, 1000, () => {});
  const build = vi.fn(() => "x");
  for (let i = 0; i < 10; i++) throttle.log(build);
  expect(build).toHaveBeenCalledTimes(1);
});
