import { type Encoder, JSONEncoder, Message } from "@taskq/core";
import { describe, expect, test } from "vitest";
import { makeDeadLetters, taskqDone, testEnv } from "../helpers.js";

const message = (args: unknown[], options: Record<string, unknown> = {}, kwargs = {}) =>
  new Message({ queueName: "default", actorName: "fail", args, kwargs, options });

const TRACEBACK = [
  "Error: always fails",
  "    at fail (file:///app/tasks.mjs:45:11)",
  "    at run (file:///app/node_modules/@taskq/core/dist/index.js:1:1)",
].join("\n");

/**
 * As a producer that is not taskq could write it (taskq's own encoder refuses such nesting):
 * the placeholder argument "DEEP" becomes 5,000 nested arrays in the JSON.
 */
const DEEP = `${"[".repeat(5000)}${"]".repeat(5000)}`;
const json = new JSONEncoder();
const deepEncoder: Encoder = {
  encodeText: (data) => json.encodeText(data).replace('"DEEP"', DEEP),
  encode: (data) => Buffer.from(deepEncoder.encodeText!(data)),
  decode: (data) => json.decode(data),
};

describe("taskq dead-letters listing", () => {
  test("shows each message bounded (~1 KB of args and of kwargs) unless --full", async () => {
    const env = testEnv();
    const big = message(["x".repeat(100_000)], {}, { note: "y".repeat(50_000) });
    await makeDeadLetters(env, [big]);

    const listed = await taskqDone(["dead-letters", "app.mjs", "default"], env);
    expect(listed.code).toBe(0);
    const line = listed.stdout.split("\n").find((l) => l.startsWith(big.messageId))!;
    expect(line).toMatch(
      /^\S+ {2}fail\("x+…\(\d+ more bytes\), \*\*\{"note":"y+…\(\d+ more bytes\)\)$/,
    );
    expect(line.length).toBeLessThan(2 * 1024 + 200);
    expect(listed.stdout).toContain("1 dead letter(s) of default.");

    const full = await taskqDone(["dead-letters", "app.mjs", "default", "--full"], env);
    expect(full.code).toBe(0);
    expect(full.stdout).toContain(`"args":["${"x".repeat(100_000)}"]`);
    expect(full.stdout).toContain(`"kwargs":{"note":"${"y".repeat(50_000)}"}`);
  });

  test("a message nesting 5,000 deep is listed, bounded or --full, without crashing", async () => {
    const env = testEnv();
    const deep = message(["DEEP"]);
    await makeDeadLetters(env, [deep], deepEncoder);

    const listed = await taskqDone(["dead-letters", "app.mjs", "default"], env);
    expect(listed.output).not.toContain("RangeError");
    expect(listed.code).toBe(0);
    // Too deep for the decoder (core refuses > 256 levels), so it is listed as stored, bounded.
    expect(listed.stdout).toMatch(
      /\(undecodable, broker id [0-9a-f-]+\) {2}\{"queue_name":"default","actor_name":"fail","args":\[\[\[.*…\(\d+ more bytes\)/,
    );
    expect(listed.stdout).toContain("1 dead letter(s) of default.");

    const full = await taskqDone(["dead-letters", "app.mjs", "default", "--full"], env);
    expect(full.code).toBe(0);
    expect(full.stdout).toContain(`"args":[${DEEP}]`);
  });

  test("shows why each message failed: the first line of its traceback, all of it with --full", async () => {
    const env = testEnv();
    const failed = message([1], { retries: 3, traceback: TRACEBACK });
    const noTrace = message([2]);
    await makeDeadLetters(env, [failed, noTrace]);

    const listed = await taskqDone(["dead-letters", "app.mjs", "default"], env);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split("\n");
    const at = lines.findIndex((l) => l.startsWith(failed.messageId));
    expect(lines[at]).toBe(`${failed.messageId}  fail(1)`);
    expect(lines[at + 1]).toBe("    Error: always fails");
    expect(listed.stdout).not.toContain("at fail (file:///app/tasks.mjs:45:11)");
    // A message without a traceback is one line.
    const other = lines.findIndex((l) => l.startsWith(noTrace.messageId));
    expect(lines[other]).toBe(`${noTrace.messageId}  fail(2)`);
    expect(lines[other + 1]).not.toMatch(/^ {4}/);

    const full = await taskqDone(["dead-letters", "app.mjs", "default", "--full"], env);
    const fullLines = full.stdout.split("\n");
    const fat = fullLines.findIndex((l) => l.startsWith(failed.messageId));
    expect(fullLines.slice(fat + 1, fat + 4)).toEqual(TRACEBACK.split("\n").map((l) => `    ${l}`));
  });

  test("a listing over 1 MB arrives whole through a pipe", async () => {
    const env = testEnv();
    const letters = Array.from({ length: 1200 }, (_, i) => message([i, "y".repeat(1000)]));
    await makeDeadLetters(env, letters);

    const listed = await taskqDone(["dead-letters", "app.mjs", "default", "--limit", "1200"], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.length).toBeGreaterThan(1_000_000);
    const ids = new Set(listed.stdout.split("\n").map((l) => l.split("  ")[0]));
    for (const m of letters) expect(ids.has(m.messageId)).toBe(true);
    expect(listed.stdout.endsWith("1200 dead letter(s) of default (first 1200).\n")).toBe(true);
  });

  test("bad options are usage errors (exit 2) naming the problem", async () => {
    const env = testEnv();
    const limit = await taskqDone(["dead-letters", "app.mjs", "default", "--limit", "ten"], env);
    expect(limit.code).toBe(2);
    expect(limit.output).toContain('--limit must be a whole number ≥ 1, got "ten"');
    const unknown = await taskqDone(["dead-letters", "app.mjs", "default", "--fulll"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/Unknown option '--fulll'/);
    expect(unknown.output).not.toMatch(/\n\s+at /);
    const mixed = await taskqDone(["dead-letters", "app.mjs", "default", "--purge", "--full"], env);
    expect(mixed.code).toBe(2);
    expect(mixed.output).toContain("--limit and --full go with the listing");
  });
});
