import { describe, expect, it } from "vitest";
import { Message, renderBounded } from "../src/index.js";

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("bounded rendering for logs", () => {
  it("shows small values whole, as JSON", () => {
    expect(renderBounded([1, "a", { b: null }])).toBe('[1,"a",{"b":null}]');
  });

  it("cuts a huge value at the limit and says how much was left out", () => {
    const text = renderBounded(["x".repeat(10 * 1024 * 1024)], 1024);
    expect(text.length).toBeLessThan(1100);
    expect(text).toMatch(/…\(\d+ more bytes\)$/);
    const more = Number(/…\((\d+) more bytes\)$/.exec(text)?.[1]);
    expect(more).toBeGreaterThan(10 * 1024 * 1024 - 2048);
  });

  it("never throws: 5,000 levels of nesting, cycles, BigInts, throwing getters", () => {
    expect(() => JSON.stringify(nested(100_000))).toThrow(RangeError);
    expect(renderBounded(nested(100_000)).length).toBeLessThan(1200);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(renderBounded(cyclic)).toBe('{"a":1,"self":"[Circular]"}');
    expect(renderBounded({ n: 10n })).toBe('{"n":10n}');
    const hostile = {
      get boom(): never {
        throw new Error("getter");
      },
    };
    expect(() => renderBounded(hostile)).not.toThrow();
  });

  it("Message.toString is bounded and safe for any args", () => {
    const m = new Message({
      queueName: "default",
      actorName: "a",
      args: [nested(5000), "y".repeat(1_000_000)],
      kwargs: {},
      options: {},
    });
    const text = m.toString();
    expect(text.startsWith("a([")).toBe(true);
    expect(text.length).toBeLessThan(1300);
  });
});
